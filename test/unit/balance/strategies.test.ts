import { describe, expect, it } from 'vitest';
import { createStrategy, strategies, strategyNames } from '../../../core/balance/strategies.js';
import { UnknownStrategyError } from '../../../core/balance/errors.js';
import { members, meta } from './fixtures.js';
import { STRATEGY_NAMES } from '../../../core/config/types.js';

describe('strategy registry', () => {
  it('can build every strategy a profile may name (DESIGN.md section 3)', () => {
    expect(strategyNames()).toEqual([...STRATEGY_NAMES].sort());
    for (const name of STRATEGY_NAMES) expect(typeof createStrategy(name, {}), name).toBe('function');
  });

  it('throws UNKNOWN_STRATEGY listing the known names for an unknown one', () => {
    const err = (() => {
      try {
        createStrategy('fastest-please');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UnknownStrategyError);
    expect((err as UnknownStrategyError).code).toBe('UNKNOWN_STRATEGY');
    expect((err as UnknownStrategyError).known).toContain('round-robin');
    expect((err as Error).message).toContain('"fastest-please"');
    expect((err as Error).message).toContain('weighted-round-robin');
  });

  it('does not treat inherited object keys as strategies', () => {
    expect(() => createStrategy('toString')).toThrow(UnknownStrategyError);
    expect(() => createStrategy('constructor')).toThrow(UnknownStrategyError);
  });

  it('gives each call its own state', () => {
    const list = members(['a', 'b', 'c']);
    const first = createStrategy('round-robin');
    const second = createStrategy('round-robin');
    expect([first(list, meta()).name, first(list, meta()).name]).toEqual(['a', 'b']);
    expect(second(list, meta()).name).toBe('a');
  });

  it('every strategy returns one of the members it was given', () => {
    const list = members(['a', 'b', 'c'], { b: { latencyMs: 20 } });
    for (const name of Object.keys(strategies)) {
      const pick = createStrategy(name, { random: () => 0.5, now: () => 0 });
      for (let i = 0; i < 10; i++) expect(list).toContain(pick(list, meta(`h${i}.test`)));
    }
  });
});
