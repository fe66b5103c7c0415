import crypto from 'node:crypto';
import { shake128 } from '@noble/hashes/sha3.js';
import { ProxyError } from '../../adapter/errors.js';
import type { ByteQueue } from '../common/byte-queue.js';
import { nativeAead, type NativeAeadAddon, type NativeAeadContext } from '../common/native-aead.js';
import { randomBytes } from '../common/random-pool.js';
import { ReadOutput } from '../common/read-output.js';

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
 * 32-byte key), nonce = chunk count (2 bytes BE) ‖ IV[2..12]. With the native addon one context holds the
 * key schedule and a chunk costs the cipher's own work (~0.7 µs for v2ray's 2 KiB chunks); without it
 * (not built, Electron, SWITCHYARD_NATIVE_AEAD=0) node:crypto builds a cipher per chunk (~4 µs), the key
 * imported once as a KeyObject, which makes that cheaper.
 */
export class ChunkAead {
  private readonly algorithm: 'aes-128-gcm' | 'chacha20-poly1305';
  private readonly native: NativeAeadContext | undefined;
  private readonly key: crypto.KeyObject | undefined;
  /** Both paths copy the nonce before returning, so one buffer serves every chunk. */
  private readonly nonce = Buffer.alloc(12);
  private count = 0;

  constructor(security: Exclude<BodySecurity, 'none'>, key: Buffer, iv: Buffer, addon: NativeAeadAddon | null = nativeAead() ?? null) {
    this.algorithm = security;
    if (security === 'chacha20-poly1305') {
      const first = crypto.createHash('md5').update(key).digest();
      key = Buffer.concat([first, crypto.createHash('md5').update(first).digest()]);
    }
    if (addon) this.native = new addon.AeadContext(this.algorithm, key);
    else this.key = crypto.createSecretKey(key);
    iv.copy(this.nonce, 2, 2, 12);
  }

  /** Whether chunks go through the native addon (for tests and the bench). */
  get isNative(): boolean {
    return this.native !== undefined;
  }

  /** The nonce for the current count, which the caller then advances. */
  private countNonce(): Buffer {
    this.nonce[0] = this.count >> 8;
    this.nonce[1] = this.count & 0xff;
    return this.nonce;
  }

  private nextNonce(): Buffer {
    const nonce = this.countNonce();
    this.count = (this.count + 1) & 0xffff;
    return nonce;
  }

  /** Writes the ciphertext of src[start, end) and then its tag into dst at dstStart. */
  sealInto(src: Buffer, start: number, end: number, dst: Buffer, dstStart: number): void {
    const nonce = this.nextNonce();
    if (this.native) return this.native.seal(nonce, src, start, end, dst, dstStart);
    const c = crypto.createCipheriv(this.algorithm as 'chacha20-poly1305', this.key!, nonce, { authTagLength: TAG });
    const written = c.update(src.subarray(start, end)).copy(dst, dstStart);
    c.final();
    c.getAuthTag().copy(dst, dstStart + written);
  }

  /**
   * Opens `count` chunks whose ciphertexts are src[ranges[2i], ranges[2i+1]), each followed by its tag, into
   * dst one after another from dstStart. Returns how many verified: `count`, or the index of the first that
   * did not (what it wrote for that one is not plaintext).
   */
  openSequence(src: Buffer, ranges: Int32Array, count: number, dst: Buffer, dstStart: number): number {
    if (this.native) {
      const opened = this.native.openSequence(this.countNonce(), src, ranges, count, dst, dstStart);
      // A chunk that failed used up its nonce too, as in openInto.
      this.count = (this.count + Math.min(opened + 1, count)) & 0xffff;
      return opened;
    }
    for (let i = 0; i < count; i++) {
      const start = ranges[2 * i]!;
      const end = ranges[2 * i + 1]!;
      try {
        this.openInto(src, start, end, dst, dstStart);
      } catch {
        return i;
      }
      dstStart += end - start;
    }
    return count;
  }

  /**
   * Opens one chunk, ciphertext src[start, end) with its tag in the TAG bytes after it, writing the
   * plaintext into dst at dstStart (never into src: a borrowed read is reused). Throws when the tag does
   * not verify; what it wrote into dst is then not plaintext.
   */
  openInto(src: Buffer, start: number, end: number, dst: Buffer, dstStart: number): void {
    const nonce = this.nextNonce();
    const tag = src.subarray(end, end + TAG);
    if (this.native) {
      if (this.native.open(nonce, tag, src, start, end, dst, dstStart)) return;
      throw new ProxyError('UPSTREAM_PROTOCOL', 'VMess chunk failed authentication');
    }
    const d = crypto.createDecipheriv(this.algorithm as 'chacha20-poly1305', this.key!, nonce, { authTagLength: TAG });
    d.setAuthTag(tag);
    d.update(src.subarray(start, end)).copy(dst, dstStart);
    try {
      d.final();
    } catch {
      throw new ProxyError('UPSTREAM_PROTOCOL', 'VMess chunk failed authentication');
    }
  }
}

/**
 * Writes the request body: [masked size][sealed payload][padding] per chunk, an empty chunk at the end.
 * With a cipher, one write's chunks are sealed into one buffer and handed on as views of it.
 */
export class ChunkWriter {
  constructor(
    private readonly aead: ChunkAead | undefined,
    private readonly mask: ShakeMask,
    private readonly padding: boolean,
  ) {}

  write(payload: Buffer, out: Buffer[]): void {
    if (!this.aead) {
      for (let off = 0; off < payload.length; off += MAX_CHUNK_PAYLOAD) this.plainChunk(payload.subarray(off, off + MAX_CHUNK_PAYLOAD), out);
      return;
    }
    const chunks = Math.ceil(payload.length / MAX_CHUNK_PAYLOAD);
    const wire = Buffer.allocUnsafe(payload.length + chunks * (2 + TAG + MAX_PADDING));
    let pos = 0;
    for (let off = 0; off < payload.length; off += MAX_CHUNK_PAYLOAD) {
      pos = this.sealedChunk(this.aead, payload, off, Math.min(off + MAX_CHUNK_PAYLOAD, payload.length), wire, pos, out);
    }
  }

  /** The empty chunk that tells the server our side is done. */
  end(out: Buffer[]): void {
    if (!this.aead) return this.plainChunk(Buffer.alloc(0), out);
    this.sealedChunk(this.aead, Buffer.alloc(0), 0, 0, Buffer.allocUnsafe(2 + TAG + MAX_PADDING), 0, out);
  }

  /** Seals src[start, end) as one chunk at wire[pos]; pushes views of its size and of the rest; returns its end. */
  private sealedChunk(aead: ChunkAead, src: Buffer, start: number, end: number, wire: Buffer, pos: number, out: Buffer[]): number {
    const padding = this.padding ? this.mask.next() % MAX_PADDING : 0;
    const length = end - start;
    wire.writeUInt16BE(this.mask.next() ^ (length + TAG + padding), pos);
    aead.sealInto(src, start, end, wire, pos + 2);
    const sealedEnd = pos + 2 + length + TAG;
    if (padding > 0) randomBytes(padding).copy(wire, sealedEnd);
    out.push(wire.subarray(pos, pos + 2), wire.subarray(pos + 2, sealedEnd + padding));
    return sealedEnd + padding;
  }

  private plainChunk(piece: Buffer, out: Buffer[]): void {
    const padding = this.padding ? this.mask.next() % MAX_PADDING : 0;
    const size = Buffer.allocUnsafe(2);
    size.writeUInt16BE(this.mask.next() ^ (piece.length + padding), 0);
    out.push(size);
    if (piece.length > 0) out.push(piece);
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
   *
   * With a cipher, the chunks of one call are opened into one buffer (see ReadOutput), handed on as one view
   * of what verified (also when a later chunk fails): at most one allocation per read rather than per
   * chunk, and nothing for FramedStream to join. Without one, each chunk's payload is a view of the queue's
   * bytes.
   */
  read(pending: ByteQueue, push: (payload: Buffer) => void): boolean {
    if (!this.aead) return this.readPlain(pending, push);
    const aead = this.aead;
    let plain: Buffer | undefined;
    /** Plaintext bytes that verified, at the front of `plain`. */
    let plainLength = 0;
    // Chunks are opened in batches, one call for all those that lie in the same memory (nearly always the
    // whole read): `batchSrc` spans that ArrayBuffer and this.ranges holds their offsets in it.
    let batchSrc: Buffer | undefined;
    let batchCount = 0;
    let batchBytes = 0;
    let failed = false;
    /** Opens the batch; false when a chunk did not verify (what verified before it is kept). */
    const openBatch = (): boolean => {
      if (batchCount === 0) return true;
      const opened = aead.openSequence(batchSrc!, this.ranges, batchCount, plain!, plainLength);
      if (opened === batchCount) plainLength += batchBytes;
      else for (let i = 0; i < opened; i++) plainLength += this.ranges[2 * i + 1]! - this.ranges[2 * i]!;
      failed = opened !== batchCount;
      batchCount = 0;
      batchBytes = 0;
      return !failed;
    };
    let ended = false;
    let error: unknown;
    try {
      for (;;) {
        if (!this.nextSize(pending)) break;
        if (this.size === this.overhead + this.padding) {
          ended = true;
          break;
        }
        if (pending.length < this.size) break;
        // Payload is shorter than the chunks it comes in, so what is queued bounds this call's plaintext.
        plain ??= this.output.take(pending.length);
        const chunk = pending.takeContiguous(this.size);
        const bodyLength = this.size - this.overhead - this.padding;
        this.size = -1;
        if (batchSrc?.buffer !== chunk.buffer) {
          if (!openBatch()) break;
          batchSrc = Buffer.from(chunk.buffer, 0, chunk.buffer.byteLength);
        }
        this.addRange(batchCount++, chunk.byteOffset, chunk.byteOffset + bodyLength);
        batchBytes += bodyLength;
      }
    } catch (err) {
      error = err;
    }
    if (!failed) openBatch();
    if (plainLength > 0) push(plain!.subarray(0, plainLength));
    if (error !== undefined) throw error;
    if (failed) throw new ProxyError('UPSTREAM_PROTOCOL', 'VMess chunk failed authentication');
    return ended;
  }

  /** One plaintext buffer per read; reused between reads once the codec's reuseOutput() says so. */
  readonly output = new ReadOutput();

  /** Chunk offsets for openSequence, in an array kept between reads and grown as needed. */
  private ranges = new Int32Array(512);

  private addRange(i: number, start: number, end: number): void {
    if (2 * i + 2 > this.ranges.length) {
      const grown = new Int32Array(this.ranges.length * 2);
      grown.set(this.ranges);
      this.ranges = grown;
    }
    this.ranges[2 * i] = start;
    this.ranges[2 * i + 1] = end;
  }

  private readPlain(pending: ByteQueue, push: (payload: Buffer) => void): boolean {
    for (;;) {
      if (!this.nextSize(pending)) return false;
      if (this.size === this.padding) return true;
      if (pending.length < this.size) return false;
      const chunk = pending.takeContiguous(this.size);
      const bodyLength = this.size - this.padding;
      this.size = -1;
      if (bodyLength > 0) push(chunk.subarray(0, bodyLength));
    }
  }

  /** Reads the next chunk's size (and padding) unless one is pending; false when its two bytes are not here yet. */
  private nextSize(pending: ByteQueue): boolean {
    if (this.size >= 0) return true;
    if (pending.length < 2) return false;
    const raw = pending.takeUInt16BE();
    this.padding = this.withPadding ? this.mask.next() % MAX_PADDING : 0;
    this.size = this.mask.next() ^ raw;
    if (this.size < this.overhead + this.padding) {
      throw new ProxyError('UPSTREAM_PROTOCOL', `VMess chunk size ${this.size} is smaller than its overhead`);
    }
    return true;
  }
}
