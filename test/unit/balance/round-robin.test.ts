import { describe, expect, it } from 'vitest';
import { createStrategy } from '../../../core/balance/strategies.js';
import { members, meta, tally } from './fixtures.js';

describe('round-robin', () => {
  it('polls three members in list order, exactly evenly over 10,000 picks', () => {
    const pick = createStrategy('round-robin');
    const list = members(['a', 'b', 'c']);
    const picks = Array.from({ length: 10_000 }, () => pick(list, meta()).name);
    picks.forEach((name, i) => expect(name).toBe(['a', 'b', 'c'][i % 3]));
    expect(tally(picks)).toEqual({ a: 3334, b: 3333, c: 3333 });
  });

  it('skips a member that dropped out and resumes order when it returns', () => {
    const pick = createStrategy('round-robin');
    const all = members(['a', 'b', 'c']);
    const withoutB = all.filter((m) => m.name !== 'b');
    expect(pick(all, meta()).name).toBe('a');
    expect(pick(withoutB, meta()).name).toBe('c');
    expect(pick(withoutB, meta()).name).toBe('a');
    expect(pick(all, meta()).name).toBe('b');
    expect(pick(all, meta()).name).toBe('c');
  });

  it('continues after the last picked by configured index, not by position in the alive list', () => {
    const pick = createStrategy('round-robin');
    const all = members(['a', 'b', 'c', 'd']);
    expect(pick(all, meta()).name).toBe('a');
    expect(pick(all, meta()).name).toBe('b');
    // b and c died: the next after b (index 1) in list order is d, then wrap to a.
    const aliveAD = all.filter((m) => m.name === 'a' || m.name === 'd');
    expect(pick(aliveAD, meta()).name).toBe('d');
    expect(pick(aliveAD, meta()).name).toBe('a');
  });
});
