import crypto from 'node:crypto';
import { shake128 } from '@noble/hashes/sha3.js';
import { ProxyError } from '../../adapter/errors.js';
import type { ByteQueue } from '../common/byte-queue.js';

export type BodySecurity = 'aes-128-gcm' | 'chacha20-poly1305' | 'none';

export const SECURITY_BYTE: Record<BodySecurity, number> = { 'aes-128-gcm': 3, 'chacha20-poly1305': 4, none: 5 };

const TAG = 16;
const MAX_PADDING = 64;
/** Payload bytes per chunk we send; v2ray reads chunks up to the 16-bit size limit. */
export const MAX_CHUNK_PAYLOAD = 16 * 1024;

/**
 * The length mask of option ChunkMasking: SHAKE128 over the body IV, read two bytes at a time. With
 * GlobalPadding each chunk first takes a padding length (next % 64), then its size mask.
 */
export class ShakeMask {
  private readonly xof;
  private block = Buffer.alloc(0);
  private pos = 0;

  constructor(iv: Buffer) {
    this.xof = shake128.create().update(iv);
  }

  next(): number {
    if (this.pos >= this.block.length) {
      const out = this.xof.xof(1024); // even, so two-byte reads never straddle blocks
      this.block = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
      this.pos = 0;
    }
    const v = this.block.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
}

/**
 * One direction's AEAD: key and IV from the session (ChaCha20 takes MD5(key) ‖ MD5(MD5(key)) as its
 * 32-byte key), nonce = chunk count (2 bytes BE) ‖ IV[2..12].
 */
export class ChunkAead {
  private readonly cipher: crypto.CipherGCMTypes | 'chacha20-poly1305';
  private readonly key: Buffer;
  private count = 0;

  constructor(
    security: Exclude<BodySecurity, 'none'>,
    key: Buffer,
    private readonly iv: Buffer,
  ) {
    if (security === 'aes-128-gcm') {
      this.cipher = 'aes-128-gcm';
      this.key = key;
    } else {
      this.cipher = 'chacha20-poly1305';
      const first = crypto.createHash('md5').update(key).digest();
      this.key = Buffer.concat([first, crypto.createHash('md5').update(first).digest()]);
    }
  }

  private nextNonce(): Buffer {
    const nonce = Buffer.allocUnsafe(12);
    nonce.writeUInt16BE(this.count, 0);
    this.iv.copy(nonce, 2, 2, 12);
    this.count = (this.count + 1) & 0xffff;
    return nonce;
  }

  seal(plaintext: Buffer, out: Buffer[]): void {
    const c = crypto.createCipheriv(this.cipher as 'chacha20-poly1305', this.key, this.nextNonce(), { authTagLength: TAG });
    const ct = c.update(plaintext);
    c.final();
    out.push(ct, c.getAuthTag());
  }

  /** Decrypts a chunk that arrived in pieces, one output piece per input piece; throws when the tag fails. */
  open(pieces: Buffer[], tag: Buffer): Buffer[] {
    const d = crypto.createDecipheriv(this.cipher as 'chacha20-poly1305', this.key, this.nextNonce(), { authTagLength: TAG });
    d.setAuthTag(tag);
    const plain = pieces.map((p) => d.update(p));
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
    if (padding > 0) out.push(crypto.randomBytes(padding));
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

  /** Returns true at the server's end-of-stream chunk. */
  read(pending: ByteQueue, push: (payload: Buffer) => void): boolean {
    for (;;) {
      if (this.size < 0) {
        if (pending.length < 2) return false;
        const raw = pending.takeContiguous(2).readUInt16BE(0);
        this.padding = this.withPadding ? this.mask.next() % MAX_PADDING : 0;
        this.size = this.mask.next() ^ raw;
        if (this.size === this.overhead + this.padding) return true;
        if (this.size < this.overhead + this.padding) {
          throw new ProxyError('UPSTREAM_PROTOCOL', `VMess chunk size ${this.size} is smaller than its overhead`);
        }
      }
      if (pending.length < this.size) return false;
      const body = pending.take(this.size - this.overhead - this.padding);
      if (this.aead) {
        for (const p of this.aead.open(body, pending.takeContiguous(TAG))) push(p);
      } else {
        for (const p of body) push(p);
      }
      if (this.padding > 0) pending.take(this.padding);
      this.size = -1;
    }
  }
}
