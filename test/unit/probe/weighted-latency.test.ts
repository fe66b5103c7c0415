import { describe, expect, it } from 'vitest';
import { createStrategy } from '../../../core/balance/strategies.js';
import { latencyWeight } from '../../../core/balance/weighted-latency.js';
import { members, meta, seededRandom, tally } from '../balance/fixtures.js';

describe('weighted-latency', () => {
  it('weighs max(1, 200 − latency ms), unknown latency as 100 ms', () => {
    expect(latencyWeight({ latencyMs: 20 })).toBe(180);
    expect(latencyWeight({ latencyMs: undefined })).toBe(100);
    expect(latencyWeight({ latencyMs: 199.5 })).toBe(1);
    expect(latencyWeight({ latencyMs: 900 })).toBe(1);
  });

  it('matches its weights over 10,000 seeded picks (chi-square, 3 degrees of freedom, p = 0.001)', () => {
    const list = members(['fast', 'mid', 'unknown', 'slow'], {
      fast: { latencyMs: 20 },
      mid: { latencyMs: 120 },
      slow: { latencyMs: 450 },
    });
    // weights 180, 80, 100, 1 written out here from the rule, not read back from the module
    const weights: Record<string, number> = { fast: 180, mid: 80, unknown: 100, slow: 1 };
    const total = 361;
    const pick = createStrategy('weighted-latency', { random: seededRandom(2024) });
    const n = 10_000;
    const counts = tally(Array.from({ length: n }, () => pick(list, meta()).name));
    const chiSquare = Object.keys(weights).reduce((sum, k) => {
      const expected = (n * weights[k]!) / total;
      return sum + ((counts[k] ?? 0) - expected) ** 2 / expected;
    }, 0);
    expect(chiSquare).toBeLessThan(16.266);
    expect(counts.slow ?? 0).toBeGreaterThan(0); // never starved
  });

  it('takes the ends of the random range to the first and last member', () => {
    const list = members(['a', 'b'], { a: { latencyMs: 50 }, b: { latencyMs: 50 } });
    expect(createStrategy('weighted-latency', { random: () => 0 })(list, meta()).name).toBe('a');
    expect(createStrategy('weighted-latency', { random: () => 0.9999999 })(list, meta()).name).toBe('b');
  });
});
