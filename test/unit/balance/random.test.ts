import { describe, expect, it } from 'vitest';
import { createStrategy } from '../../../core/balance/strategies.js';
import { members, meta, seededRandom, tally } from './fixtures.js';

describe('random', () => {
  it('is uniform over 10,000 seeded picks (chi-square, 4 degrees of freedom, p = 0.001)', () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const pick = createStrategy('random', { random: seededRandom(42) });
    const list = members(names);
    const counts = tally(Array.from({ length: 10_000 }, () => pick(list, meta()).name));
    const expected = 10_000 / names.length;
    const chiSquare = names.reduce((sum, n) => sum + ((counts[n] ?? 0) - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(18.467);
    for (const n of names) expect(counts[n]).toBeGreaterThan(0);
  });

  it('draws from options.random: the same seed gives the same picks, the extremes give the ends', () => {
    const list = members(['a', 'b', 'c']);
    const run = (seed: number) => {
      const pick = createStrategy('random', { random: seededRandom(seed) });
      return Array.from({ length: 50 }, () => pick(list, meta()).name).join('');
    };
    expect(run(7)).toBe(run(7));
    expect(run(7)).not.toBe(run(8));
    expect(createStrategy('random', { random: () => 0 })(list, meta()).name).toBe('a');
    expect(createStrategy('random', { random: () => 0.9999999 })(list, meta()).name).toBe('c');
  });
});
