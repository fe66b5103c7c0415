import crypto from 'node:crypto';
import { nativeAead, type NativeAeadAddon, type NativeAeadContext } from '../common/native-aead.js';
import { TAG_SIZE, type Method } from './methods.js';

/**
 * One direction's AEAD with the Shadowsocks nonce: a 12-byte little-endian counter starting at zero,
 * incremented after every seal or open. With the native addon one context holds the key schedule and
 * each chunk only sets the nonce; without it (not built, Electron, SWITCHYARD_NATIVE_AEAD=0) node:crypto
 * builds a cipher per chunk, ~2.6 µs, far below the cost of moving the bytes.
 */
export class ChunkCipher {
  private readonly nonce = Buffer.alloc(12);
  private readonly native: NativeAeadContext | undefined;
  private readonly key: crypto.KeyObject | undefined;

  constructor(
    private readonly algorithm: Method['algorithm'],
    subkey: Buffer,
    addon: NativeAeadAddon | null = nativeAead() ?? null,
  ) {
    if (addon) this.native = new addon.AeadContext(algorithm, subkey);
    else this.key = crypto.createSecretKey(subkey);
  }

  /** Whether chunks go through the native addon (for tests and the bench). */
  get isNative(): boolean {
    return this.native !== undefined;
  }

  /** Seals the plaintext given as consecutive pieces (no copy to join them); appends ciphertext and tag to `out`. */
  seal(pieces: readonly Buffer[], out: Buffer[]): void {
    if (this.native) {
      // Ciphertext and tag as two views, the shape node:crypto gives (the caller joins them anyway).
      const sealed = this.sealNative(this.native, pieces);
      const length = sealed.length - TAG_SIZE;
      if (length > 0) out.push(sealed.subarray(0, length));
      out.push(sealed.subarray(length));
    } else this.sealNodeCrypto(pieces, out);
    this.increment();
  }

  /**
   * Decrypts a ciphertext given as consecutive pieces (no copy to join them) and verifies `tag`.
   * Returns the plaintext pieces, or undefined when authentication fails.
   */
  open(pieces: readonly Buffer[], tag: Buffer): Buffer[] | undefined {
    if (this.native) {
      // The plaintext in one new buffer (never in the pieces: they are the stream's received buffers).
      let length = 0;
      for (const p of pieces) length += p.length;
      const plain = Buffer.allocUnsafe(length);
      if (!this.openInto(pieces, tag, plain, 0)) return undefined;
      return length > 0 ? [plain] : [];
    }
    const plain = this.openNodeCrypto(pieces, tag);
    if (plain) this.increment();
    return plain;
  }

  /**
   * Like open(), but writes the plaintext to dst[at ..] (room for the pieces' total length needed) and
   * returns whether `tag` verified. A chunk split across reads is first copied there and opened in place.
   */
  openInto(pieces: readonly Buffer[], tag: Buffer, dst: Buffer, at: number): boolean {
    let opened: boolean;
    if (this.native) {
      if (pieces.length === 1) {
        const p = pieces[0]!;
        opened = this.native.open(this.nonce, tag, p, 0, p.length, dst, at);
      } else {
        let end = at;
        for (const p of pieces) end += p.copy(dst, end);
        opened = this.native.open(this.nonce, tag, dst, at, end, dst, at);
      }
    } else {
      const plain = this.openNodeCrypto(pieces, tag);
      opened = plain !== undefined;
      let end = at;
      if (plain) for (const p of plain) end += p.copy(dst, end);
    }
    if (opened) this.increment();
    return opened;
  }

  /** Ciphertext and tag in one new buffer; pieces are joined into it first, and sealed there in place. */
  private sealNative(native: NativeAeadContext, pieces: readonly Buffer[]): Buffer {
    if (pieces.length === 1) {
      const p = pieces[0]!;
      const sealed = Buffer.allocUnsafe(p.length + TAG_SIZE);
      native.seal(this.nonce, p, 0, p.length, sealed, 0);
      return sealed;
    }
    let length = 0;
    for (const p of pieces) length += p.length;
    const sealed = Buffer.allocUnsafe(length + TAG_SIZE);
    let at = 0;
    for (const p of pieces) at += p.copy(sealed, at);
    native.seal(this.nonce, sealed, 0, length, sealed, 0);
    return sealed;
  }

  private sealNodeCrypto(pieces: readonly Buffer[], out: Buffer[]): void {
    const c = crypto.createCipheriv(this.algorithm as crypto.CipherGCMTypes, this.key!, this.nonce, { authTagLength: TAG_SIZE });
    for (const p of pieces) {
      const body = c.update(p);
      if (body.length) out.push(body);
    }
    c.final();
    out.push(c.getAuthTag());
  }

  private openNodeCrypto(pieces: readonly Buffer[], tag: Buffer): Buffer[] | undefined {
    const d = crypto.createDecipheriv(this.algorithm as crypto.CipherGCMTypes, this.key!, this.nonce, { authTagLength: TAG_SIZE });
    d.setAuthTag(tag);
    const plain: Buffer[] = [];
    for (const p of pieces) {
      const b = d.update(p);
      if (b.length) plain.push(b);
    }
    try {
      d.final();
    } catch {
      return undefined;
    }
    return plain;
  }

  private increment(): void {
    const n = this.nonce;
    for (let i = 0; i < n.length; i++) {
      n[i] = (n[i]! + 1) & 0xff;
      if (n[i] !== 0) return;
    }
  }
}
