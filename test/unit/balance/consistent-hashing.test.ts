import { describe, expect, it } from 'vitest';
import { createStrategy } from '../../../core/balance/strategies.js';
import { siteOf } from '../../../core/balance/consistent-hashing.js';
import { members, meta, tally } from './fixtures.js';

const names = ['a', 'b', 'c', 'd', 'e'];
const sites = Array.from({ length: 10_000 }, (_, i) => `www.site${i}.com`);

describe('siteOf', () => {
  it('is the registrable domain, or the host itself for IPs and bare names', () => {
    expect(siteOf('a.example.com')).toBe('example.com');
    expect(siteOf('deep.b.example.co.uk')).toBe('example.co.uk');
    expect(siteOf('alice.github.io')).toBe('alice.github.io');
    expect(siteOf('203.0.113.7')).toBe('203.0.113.7');
    expect(siteOf('2001:db8::1')).toBe('2001:db8::1');
    expect(siteOf('LocalHost')).toBe('localhost');
  });
});

describe('consistent-hashing', () => {
  it('sends hosts of one site (same eTLD+1) to the same member', () => {
    const pick = createStrategy('consistent-hashing');
    const list = members(names);
    for (let i = 0; i < 200; i++) {
      const site = `site${i}.example-${i}.com`;
      const first = pick(list, meta(`a.${site}`)).name;
      expect(pick(list, meta(`b.${site}`)).name).toBe(first);
      expect(pick(list, meta(site)).name).toBe(first);
    }
    expect(pick(list, meta('a.example.com')).name).toBe(pick(list, meta('b.example.com')).name);
  });

  it('keeps an IP destination on one member', () => {
    const pick = createStrategy('consistent-hashing');
    const list = members(names);
    const first = pick(list, meta('198.51.100.20')).name;
    for (let i = 0; i < 20; i++) expect(pick(list, meta('198.51.100.20')).name).toBe(first);
  });

  it('spreads 10,000 sites roughly evenly over 5 members', () => {
    const pick = createStrategy('consistent-hashing');
    const list = members(names);
    const counts = tally(sites.map((s) => pick(list, meta(s)).name));
    // chi-square, 4 degrees of freedom, p = 0.001
    const chiSquare = names.reduce((sum, n) => sum + ((counts[n] ?? 0) - 2_000) ** 2 / 2_000, 0);
    expect(chiSquare).toBeLessThan(18.467);
  });

  it('moves only the dead member’s sites when it dies, and gives them back when it returns', () => {
    const pick = createStrategy('consistent-hashing');
    const all = members(names);
    const before = sites.map((s) => pick(all, meta(s)).name);
    const withoutC = all.filter((m) => m.name !== 'c');
    const after = sites.map((s) => pick(withoutC, meta(s)).name);
    let moved = 0;
    before.forEach((was, i) => {
      if (was === 'c') {
        expect(after[i]).not.toBe('c');
        moved++;
      } else expect(after[i]).toBe(was);
    });
    expect(moved).toBeGreaterThan(1_500);
    // c's sites spread over the four others rather than all landing on one
    const movedTo = tally(after.filter((_, i) => before[i] === 'c'));
    expect(Object.keys(movedTo).sort()).toEqual(['a', 'b', 'd', 'e']);
    const back = sites.map((s) => pick(all, meta(s)).name);
    expect(back).toEqual(before);
  });

  it('depends on member names, not positions: reordering the list moves nothing', () => {
    const pick = createStrategy('consistent-hashing');
    const list = members(names);
    const reordered = members([...names].reverse());
    for (const s of sites.slice(0, 500)) expect(pick(reordered, meta(s)).name).toBe(pick(list, meta(s)).name);
  });
});
