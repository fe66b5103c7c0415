import { describe, expect, it } from 'vitest';
import { createStrategy } from '../../../core/balance/strategies.js';
import { STICKY_MAX_ENTRIES, STICKY_TTL_MS } from '../../../core/balance/sticky-sessions.js';
import { members, meta } from './fixtures.js';

function fakeClock(start = 1_000_000) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

describe('sticky-sessions', () => {
  const list = members(['a', 'b', 'c']);

  it('keeps the same source IP + destination host on one member over 10,000 picks', () => {
    const clock = fakeClock();
    const pick = createStrategy('sticky-sessions', { now: clock.now });
    const first = pick(list, meta('shop.example.com', '10.0.0.1')).name;
    for (let i = 0; i < 10_000; i++) {
      clock.t += 50; // 500 s in all, inside the 10 minutes
      expect(pick(list, meta('shop.example.com', '10.0.0.1')).name).toBe(first);
    }
  });

  it('spreads new pairs round-robin: another source or another host is a new pair', () => {
    const pick = createStrategy('sticky-sessions', { now: fakeClock().now });
    expect(pick(list, meta('x.test', '10.0.0.1')).name).toBe('a');
    expect(pick(list, meta('x.test', '10.0.0.2')).name).toBe('b');
    expect(pick(list, meta('y.test', '10.0.0.1')).name).toBe('c');
    expect(pick(list, meta('x.test', '10.0.0.1')).name).toBe('a');
    expect(pick(list, meta('x.test', '10.0.0.2')).name).toBe('b');
  });

  it('forgets a pair 10 minutes after it was placed', () => {
    const clock = fakeClock();
    const pick = createStrategy('sticky-sessions', { now: clock.now });
    expect(pick(list, meta('x.test', '10.0.0.1')).name).toBe('a');
    clock.t += STICKY_TTL_MS - 1;
    expect(pick(list, meta('x.test', '10.0.0.1')).name).toBe('a');
    clock.t += 1;
    // expired: placed anew by the round-robin, which is at b now
    expect(pick(list, meta('x.test', '10.0.0.1')).name).toBe('b');
    clock.t += STICKY_TTL_MS - 1;
    expect(pick(list, meta('x.test', '10.0.0.1')).name).toBe('b');
  });

  it('picks anew and remembers when the remembered member is gone', () => {
    const pick = createStrategy('sticky-sessions', { now: fakeClock().now });
    expect(pick(list, meta('x.test')).name).toBe('a');
    const withoutA = list.filter((m) => m.name !== 'a');
    const replacement = pick(withoutA, meta('x.test')).name;
    expect(replacement).not.toBe('a');
    // a is back, but the pair now lives on its replacement
    expect(pick(list, meta('x.test')).name).toBe(replacement);
  });

  it(`remembers at most ${STICKY_MAX_ENTRIES} pairs, evicting the least recently used`, () => {
    const pick = createStrategy('sticky-sessions', { now: fakeClock().now });
    const old = meta('old.test', '10.1.0.1');
    const used = meta('used.test', '10.1.0.2');
    expect(pick(list, old).name).toBe('a');
    expect(pick(list, used).name).toBe('b');
    expect(pick(list, old).name).toBe('a'); // touched: now more recent than `used`
    for (let i = 0; i < STICKY_MAX_ENTRIES - 1; i++) pick(list, meta(`filler${i}.test`, '10.2.0.1'));
    // 4097 distinct pairs seen: `used` (least recently used) was evicted, `old` was not
    expect(pick(list, old).name).toBe('a');
    const round = (2 + STICKY_MAX_ENTRIES - 1) % 3; // round-robin position after all new placements
    expect(pick(list, used).name).toBe(['a', 'b', 'c'][round]);
    expect(['a', 'b', 'c'][round]).not.toBe('b');
  });
});
