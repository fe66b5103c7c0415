import { describe, expect, it } from 'vitest';
import type { StrategyMember } from '../../../core/adapter/strategy.js';
import { createStrategy } from '../../../core/balance/strategies.js';
import { members, meta } from './fixtures.js';

const withLatency = (latency: Record<string, number | undefined>): StrategyMember[] =>
  members(['a', 'b', 'c'], Object.fromEntries(Object.entries(latency).map(([n, l]) => [n, { latencyMs: l }])));

describe('least-latency (url-test)', () => {
  it('picks the lowest latency', () => {
    const pick = createStrategy('least-latency', { tolerance: 0 });
    expect(pick(withLatency({ a: 300, b: 120, c: 200 }), meta()).name).toBe('b');
  });

  it('keeps the current member unless another is faster by more than the tolerance', () => {
    const pick = createStrategy('least-latency', { tolerance: 50 });
    expect(pick(withLatency({ a: 200, b: 180, c: 400 }), meta()).name).toBe('b');
    expect(pick(withLatency({ a: 150, b: 180, c: 400 }), meta()).name).toBe('b'); // 30 ms better: stay
    expect(pick(withLatency({ a: 130, b: 180, c: 400 }), meta()).name).toBe('b'); // exactly 50: stay
    expect(pick(withLatency({ a: 129, b: 180, c: 400 }), meta()).name).toBe('a'); // 51: switch
    expect(pick(withLatency({ a: 129, b: 100, c: 400 }), meta()).name).toBe('a'); // 29 better: stay on a
  });

  it('without tolerance switches on any improvement', () => {
    const pick = createStrategy('least-latency', {});
    expect(pick(withLatency({ a: 100, b: 101 }), meta()).name).toBe('a');
    expect(pick(withLatency({ a: 100, b: 99 }), meta()).name).toBe('b');
  });

  it('sorts unmeasured members last and uses list order while nobody is measured', () => {
    const pick = createStrategy('least-latency', { tolerance: 50 });
    expect(pick(withLatency({}), meta()).name).toBe('a');
    expect(pick(withLatency({}), meta()).name).toBe('a');
    // the first measurement beats an unmeasured current pick whatever the tolerance
    expect(pick(withLatency({ c: 900 }), meta()).name).toBe('c');
    expect(pick(withLatency({ a: 10 }), meta()).name).toBe('a'); // c lost its result: unmeasured now
  });

  it('moves to the fastest remaining member when the current one dies', () => {
    const pick = createStrategy('least-latency', { tolerance: 50 });
    const all = withLatency({ a: 100, b: 120, c: 300 });
    expect(pick(all, meta()).name).toBe('a');
    expect(pick(all.filter((m) => m.name !== 'a'), meta()).name).toBe('b');
    expect(pick(all, meta()).name).toBe('b'); // a is back but only 20 ms faster
  });

  it('breaks equal latencies by list order', () => {
    expect(createStrategy('least-latency', {})(withLatency({ a: 300, b: 80, c: 80 }), meta()).name).toBe('b');
  });
});
