import { describe, expect, it } from 'vitest';
import { createStrategy } from '../../../core/balance/strategies.js';
import { members, meta, tally } from './fixtures.js';

describe('weighted-round-robin (smooth, nginx)', () => {
  const weights = { a: { weight: 5 }, b: { weight: 1 }, c: { weight: 1 } };

  it('weights 5:1:1 give the nginx sequence a a b a c a a, repeated, over 10,000 picks', () => {
    const pick = createStrategy('weighted-round-robin');
    const list = members(['a', 'b', 'c'], weights);
    const picks = Array.from({ length: 10_000 }, () => pick(list, meta()).name);
    const cycle = ['a', 'a', 'b', 'a', 'c', 'a', 'a'];
    picks.forEach((name, i) => expect(name).toBe(cycle[i % 7]));
    // 1428 full cycles (5:1:1 each) plus a a b a.
    expect(tally(picks)).toEqual({ a: 1428 * 5 + 3, b: 1428 + 1, c: 1428 });
  });

  it('spreads over the members still alive in proportion to their weights', () => {
    const pick = createStrategy('weighted-round-robin');
    const list = members(['a', 'b', 'c'], { a: { weight: 3 }, b: { weight: 1 }, c: { weight: 2 } }).filter((m) => m.name !== 'a');
    const counts = tally(Array.from({ length: 9_000 }, () => pick(list, meta()).name));
    expect(counts).toEqual({ b: 3_000, c: 6_000 });
  });

  it('equal weights behave as plain round-robin', () => {
    const pick = createStrategy('weighted-round-robin');
    const list = members(['a', 'b', 'c']);
    expect(Array.from({ length: 6 }, () => pick(list, meta()).name)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });
});
