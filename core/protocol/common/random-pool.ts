import crypto from 'node:crypto';

/** One CSPRNG call fills this much; salts, nonces and padding of many connections are cut from it. */
const POOL_SIZE = 4096;
/** Larger requests go straight to crypto.randomBytes: the pool is for the small, frequent ones. */
const MAX_POOLED = 1024;

let pool = Buffer.alloc(0);
let offset = 0;

/**
 * `n` bytes from the CSPRNG, like crypto.randomBytes, but small requests share one randomFillSync per
 * 4 KiB: a connection asks for a salt, nonces and padding several times, at ~2 µs per call otherwise.
 * Every byte is handed out once; a spent pool is replaced, never refilled in place, so slices stay valid.
 */
export function randomBytes(n: number): Buffer {
  if (n > MAX_POOLED) return crypto.randomBytes(n);
  if (offset + n > pool.length) {
    pool = crypto.randomFillSync(Buffer.allocUnsafeSlow(POOL_SIZE));
    offset = 0;
  }
  const out = pool.subarray(offset, offset + n);
  offset += n;
  return out;
}
