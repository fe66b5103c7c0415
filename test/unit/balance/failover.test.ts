import { describe, expect, it } from 'vitest';
import { createStrategy } from '../../../core/balance/strategies.js';
import { members, meta } from './fixtures.js';

describe('failover', () => {
  it('takes the first alive member in list order, every time', () => {
    const pick = createStrategy('failover');
    const all = members(['a', 'b', 'c']);
    for (let i = 0; i < 10_000; i++) expect(pick(all, meta(`h${i}.test`)).name).toBe('a');
  });

  it('moves down the list as members die and back up as they return', () => {
    const pick = createStrategy('failover');
    const all = members(['a', 'b', 'c']);
    expect(pick(all.slice(1), meta()).name).toBe('b');
    expect(pick(all.slice(2), meta()).name).toBe('c');
    expect(pick([all[2]!, all[1]!], meta()).name).toBe('b'); // order of the alive list does not matter, index does
    expect(pick(all, meta()).name).toBe('a');
  });
});
