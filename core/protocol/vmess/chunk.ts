import crypto from 'node:crypto';
import { shake128 } from '@noble/hashes/sha3.js';
import { ProxyError } from '../../adapter/errors.js';
import type { ByteQueue } from '../common/byte-queue.js';
import { randomBytes } from '../common/random-pool.js';

export type BodySecurity = 'aes-128-gcm' | 'chacha20-poly1305' | 'none';

export const SECURITY_BYTE: Record<BodySecurity, number> = { 'aes-128-gcm': 3, 'chacha20-poly1305': 4, none: 5 };

const TAG = 16;
const MAX_PADDING = 64;
/** Payload bytes per chunk we send; v2ray reads chunks up to the 16-bit size limit. */
export const MAX_CHUNK_PAYLOAD = 16 * 1024;

/** The first native squeeze: 64 chunks' worth with padding, more than most connections use. */
const FIRST_NATIVE_MASK_BYTES = 256;
/** Native squeezes double up to this length; beyond it the pure-JS XOF goes on (see ShakeMask). */
const LAST_NATIVE_MASK_BYTES = 64 * 1024;
/** Bytes per pure-JS squeeze; even, so two-byte reads never straddle blocks. */
const XOF_BLOCK_BYTES = 1024;

/**
 * The length mask of option ChunkMasking: SHAKE128 over the body IV, read two bytes at a time. With
 * GlobalPadding each chunk first takes a padding length (next % 64), then its size mask.
 *
 * OpenSSL squeezes in one call what the pure-JS XOF takes ~25 µs per KiB for, but node:crypto cannot
 * squeeze on after digest(). An XOF's output is prefix-stable, so each native refill squeezes twice as
 * much from the IV again and keeps the new half. Past LAST_NATIVE_MASK_BYTES (16,384 chunks, ~32 MiB of
 * v2ray's), where squeezing everything again would cost more and hold more, the incremental pure-JS XOF
 * continues from that offset.
 */
export class ShakeMask {
  private block: Buffer;
  private pos = 0;
  /** Mask bytes produced so far, the block's end in the stream. */
  private produced = FIRST_NATIVE_MASK_BYTES;
  private xof?: ReturnType<typeof shake128.create>;

  constructor(private readonly iv: Buffer) {
    this.block = nativeShake(iv, FIRST_NATIVE_MASK_BYTES);
  }

  next(): number {
    if (this.pos >= this.block.length) this.refill();
    const b = this.block;
    const v = (b[this.pos]! << 8) | b[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  private refill(): void {
    this.pos = 0;
    if (this.produced < LAST_NATIVE_MASK_BYTES) {
      // A copy of the new half, so the prefix squeezed again is not kept alive with it.
      this.block = Buffer.from(nativeShake(this.iv, this.produced * 2).subarray(this.produced));
      this.produced *= 2;
      return;
    }
    if (!this.xof) {
      this.xof = shake128.create().update(this.iv);
      this.xof.xof(this.produced); // what the native squeezes already gave
    }
    const out = this.xof.xof(XOF_BLOCK_BYTES);
    this.block = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    this.produced += XOF_BLOCK_BYTES;
  }
}

function nativeShake(iv: Buffer, outputLength: number): Buffer {
  return crypto.createHash('shake128', { outputLength }).update(iv).digest();
}

/**
 * One direction's AEAD: key and IV from the session (ChaCha20 takes MD5(key) ‖ MD5(MD5(key)) as its
 * 32-byte key), nonce = chunk count (2 bytes BE) ‖ IV[2..12]. node:crypto has no reusable AEAD context, so
 * each chunk builds a cipher; the key is imported once as a KeyObject, which makes that cheaper.
 */
export class ChunkAead {
  private readonly cipher: crypto.CipherGCMTypes | 'chacha20-poly1305';
  private readonly key: crypto.KeyObject;
  /** createCipheriv copies the nonce, so one buffer serves every chunk. */
  private readonly nonce = Buffer.alloc(12);
  private count = 0;

  constructor(security: Exclude<BodySecurity, 'none'>, key: Buffer, iv: Buffer) {
    if (security === 'aes-128-gcm') {
      this.cipher = 'aes-128-gcm';
      this.key = crypto.createSecretKey(key);
    } else {
      this.cipher = 'chacha20-poly1305';
      const first = crypto.createHash('md5').update(key).digest();
      this.key = crypto.createSecretKey(Buffer.concat([first, crypto.createHash('md5').update(first).digest()]));
    }
    iv.copy(this.nonce, 2, 2, 12);
  }

  private nextNonce(): Buffer {
    this.nonce[0] = this.count >> 8;
    this.nonce[1] = this.count & 0xff;
    this.count = (this.count + 1) & 0xffff;
    return this.nonce;
  }

  seal(plaintext: Buffer, out: Buffer[]): void {
    const c = crypto.createCipheriv(this.cipher as 'chacha20-poly1305', this.key, this.nextNonce(), { authTagLength: TAG });
    const ct = c.update(plaintext);
    c.final();
    out.push(ct, c.getAuthTag());
  }

  /** Decrypts one chunk's ciphertext; throws when the tag does not verify. */
  open(ciphertext: Buffer, tag: Buffer): Buffer {
    const d = crypto.createDecipheriv(this.cipher as 'chacha20-poly1305', this.key, this.nextNonce(), { authTagLength: TAG });
    d.setAuthTag(tag);
    const plain = d.update(ciphertext);
    try {
      d.final();
    } catch {
      throw new ProxyError('UPSTREAM_PROTOCOL', 'VMess chunk failed authentication');
    }
    return plain;
  }
}

/** Writes the request body: [masked size][sealed payload][padding] per chunk, an empty chunk at the end. */
export class ChunkWriter {
  private readonly overhead: number;

  constructor(
    private readonly aead: ChunkAead | undefined,
    private readonly mask: ShakeMask,
    private readonly padding: boolean,
  ) {
    this.overhead = aead ? TAG : 0;
  }

  write(payload: Buffer, out: Buffer[]): void {
    for (let off = 0; off < payload.length; off += MAX_CHUNK_PAYLOAD) {
      this.chunk(off === 0 && payload.length <= MAX_CHUNK_PAYLOAD ? payload : payload.subarray(off, off + MAX_CHUNK_PAYLOAD), out);
    }
  }

  /** The empty chunk that tells the server our side is done. */
  end(out: Buffer[]): void {
    this.chunk(Buffer.alloc(0), out);
  }

  private chunk(piece: Buffer, out: Buffer[]): void {
    const padding = this.padding ? this.mask.next() % MAX_PADDING : 0;
    const size = Buffer.allocUnsafe(2);
    size.writeUInt16BE(this.mask.next() ^ (piece.length + this.overhead + padding), 0);
    out.push(size);
    if (this.aead) this.aead.seal(piece, out);
    else if (piece.length > 0) out.push(piece);
    if (padding > 0) out.push(randomBytes(padding));
  }
}

/** Reads the response body chunks from the queue, handing payload on as each chunk verifies. */
export class ChunkReader {
  private readonly overhead: number;
  private size = -1;
  private padding = 0;

  constructor(
    private readonly aead: ChunkAead | undefined,
    private readonly mask: ShakeMask,
    private readonly withPadding: boolean,
  ) {
    this.overhead = aead ? TAG : 0;
  }

  /**
   * Returns true at the server's end-of-stream chunk. Each chunk is taken whole: a view when it lies in one
   * read (nearly always, reads being far larger than v2ray's ~2 KiB chunks), else one copy of it.
   */
  read(pending: ByteQueue, push: (payload: Buffer) => void): boolean {
    for (;;) {
      if (this.size < 0) {
        if (pending.length < 2) return false;
        const raw = pending.takeUInt16BE();
        this.padding = this.withPadding ? this.mask.next() % MAX_PADDING : 0;
        this.size = this.mask.next() ^ raw;
        if (this.size === this.overhead + this.padding) return true;
        if (this.size < this.overhead + this.padding) {
          throw new ProxyError('UPSTREAM_PROTOCOL', `VMess chunk size ${this.size} is smaller than its overhead`);
        }
      }
      if (pending.length < this.size) return false;
      const chunk = pending.takeContiguous(this.size);
      const bodyLength = this.size - this.overhead - this.padding;
      this.size = -1;
      if (this.aead) push(this.aead.open(chunk.subarray(0, bodyLength), chunk.subarray(bodyLength, bodyLength + TAG)));
      else if (bodyLength > 0) push(chunk.subarray(0, bodyLength));
    }
  }
}
