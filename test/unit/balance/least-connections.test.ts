import { describe, expect, it } from 'vitest';
import type { StrategyMember } from '../../../core/adapter/strategy.js';
import { createStrategy } from '../../../core/balance/strategies.js';
import { members, meta, tally } from './fixtures.js';

const load = (active: number[], weights: number[] = active.map(() => 1)) =>
  members(['a', 'b', 'c'], Object.fromEntries(['a', 'b', 'c'].map((n, i) => [n, { activeConnections: active[i], weight: weights[i] }])));

/** Picks `n` times where every pick opens a connection that stays open. */
function fill(strategy: string, weights: number[], n: number): Record<string, number> {
  const pick = createStrategy(strategy);
  const active = weights.map(() => 0);
  const picks: string[] = [];
  for (let i = 0; i < n; i++) {
    const chosen: StrategyMember = pick(load(active, weights), meta());
    active[chosen.index]!++;
    picks.push(chosen.name);
  }
  return tally(picks);
}

describe('least-connections', () => {
  it('picks the member with the fewest active connections', () => {
    const pick = createStrategy('least-connections');
    expect(pick(load([3, 1, 2]), meta()).name).toBe('b');
    expect(pick(load([0, 4, 2]), meta()).name).toBe('a');
    expect(pick(load([5, 5, 2]), meta()).name).toBe('c');
  });

  it('breaks ties by list order', () => {
    const pick = createStrategy('least-connections');
    expect(pick(load([3, 1, 1]), meta()).name).toBe('b');
    expect(pick(load([0, 0, 0]), meta()).name).toBe('a');
  });

  it('ignores weight', () => {
    expect(createStrategy('least-connections')(load([2, 1, 3], [10, 1, 10]), meta()).name).toBe('b');
  });

  it('spreads 10,000 long-lived connections exactly evenly', () => {
    expect(fill('least-connections', [1, 1, 1], 9_999)).toEqual({ a: 3_333, b: 3_333, c: 3_333 });
  });
});

describe('weighted-least-connections (LVS WLC)', () => {
  it('picks the lowest active/weight', () => {
    const pick = createStrategy('weighted-least-connections');
    // a 4/2 = 2, b 3/1 = 3, c 1/1 = 1
    expect(pick(load([4, 3, 1], [2, 1, 1]), meta()).name).toBe('c');
    // a 9/5 = 1.8, b 2/1 = 2, c 4/2 = 2
    expect(pick(load([9, 2, 4], [5, 1, 2]), meta()).name).toBe('a');
    // least-connections would take b here; WLC sees a's weight
    expect(pick(load([3, 2, 5], [4, 1, 1]), meta()).name).toBe('a');
  });

  it('breaks ties by list order', () => {
    const pick = createStrategy('weighted-least-connections');
    expect(pick(load([2, 1, 1], [2, 1, 1]), meta()).name).toBe('a');
    expect(pick(load([3, 1, 1], [2, 1, 1]), meta()).name).toBe('b');
  });

  it('fills long-lived connections in proportion to weight 5:1:1', () => {
    expect(fill('weighted-least-connections', [5, 1, 1], 7_000)).toEqual({ a: 5_000, b: 1_000, c: 1_000 });
  });
});
