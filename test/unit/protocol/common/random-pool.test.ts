import { describe, expect, it } from 'vitest';
import { randomBytes } from '../../../../core/protocol/common/random-pool.js';

describe('pooled random bytes', () => {
  it('returns exactly the length asked for, small and large', () => {
    for (const n of [0, 1, 4, 16, 33, 1024, 1025, 5000]) expect(randomBytes(n).length).toBe(n);
  });

  it('never hands out the same bytes twice: slices of many calls do not repeat, even across refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(randomBytes(16).toString('hex')); // ~8 pool refills
    expect(seen.size).toBe(2000);
  });

  it('a slice handed out earlier keeps its bytes after the pool is used up and replaced', () => {
    const kept = randomBytes(32);
    const copy = Buffer.from(kept);
    for (let i = 0; i < 1000; i++) randomBytes(64);
    expect(kept).toEqual(copy);
  });

  it('looks uniform: every byte value turns up over 256 KiB', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 256; i++) for (const b of randomBytes(1024)) counts[b]!++;
    expect(Math.min(...counts)).toBeGreaterThan(0);
    // 1,024 expected per value; a stuck or zeroed pool would be far off.
    expect(Math.max(...counts)).toBeLessThan(1400);
  });
});
