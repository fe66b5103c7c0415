import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { shake128 } from '@noble/hashes/sha3.js';
import { ShakeMask } from '../../../../core/protocol/vmess/chunk.js';

/** The mask stream read straight from one pure-JS XOF, two bytes at a time (the former implementation). */
function referenceMasks(iv: Buffer, count: number): number[] {
  const stream = shake128.create().update(iv).xof(count * 2);
  return Array.from({ length: count }, (_, i) => (stream[2 * i]! << 8) | stream[2 * i + 1]!);
}

describe('ShakeMask', () => {
  // 40,000 reads = 80,000 bytes: the first native squeeze, every doubling up to 64 KiB, the hand-over to the
  // pure-JS XOF and dozens of its blocks.
  it.each([1, 2, 3])('gives the same stream as one continuous SHAKE128 over the IV through every refill (IV %i)', () => {
    const iv = crypto.randomBytes(16);
    const mask = new ShakeMask(iv);
    const got = Array.from({ length: 40_000 }, () => mask.next());
    const want = referenceMasks(iv, 40_000);
    const firstDifference = got.findIndex((v, i) => v !== want[i]);
    expect(firstDifference).toBe(-1);
    expect(got).toEqual(want);
  });

  it('agrees with OpenSSL over the native part', () => {
    const iv = crypto.randomBytes(16);
    const mask = new ShakeMask(iv);
    const openssl = crypto.createHash('shake128', { outputLength: 64 * 1024 }).update(iv).digest();
    for (let i = 0; i < 32 * 1024; i++) expect(mask.next()).toBe(openssl.readUInt16BE(2 * i));
  });
});
