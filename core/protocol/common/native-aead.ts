import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The AEADs the addon offers: those of VMess and Shadowsocks chunks (16-byte tag, 12-byte nonce). */
export type NativeAeadAlgorithm = 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

export const NATIVE_TAG_BYTES = 16;

/**
 * One key's AEAD context (native/aead): a seal and an open direction, key schedule done once, each call
 * setting only the nonce. Output goes into the caller's buffer; src and dst may be the same bytes.
 */
export interface NativeAeadContext {
  /** dst[dstStart ..] = ciphertext of src[srcStart, srcEnd) followed by the 16-byte tag. */
  seal(nonce: Buffer, src: Buffer, srcStart: number, srcEnd: number, dst: Buffer, dstStart: number): void;
  /**
   * dst[dstStart ..] = plaintext of src[srcStart, srcEnd) and true when `tag` verifies; when it does not,
   * false, with those dst bytes zeroed.
   */
  open(nonce: Buffer, tag: Buffer, src: Buffer, srcStart: number, srcEnd: number, dst: Buffer, dstStart: number): boolean;
  /**
   * Opens `count` chunks in one call: chunk i is src[ranges[2i], ranges[2i+1]) with its tag in the 16 bytes
   * after it, under the nonce whose first two bytes (big-endian) are nonce's plus i, mod 2^16 (VMess). The
   * plaintexts go one after another from dstStart; returns how many verified (count, or the index of the
   * first that did not, whose output is zeroed).
   */
  openSequence(nonce: Buffer, src: Buffer, ranges: Int32Array, count: number, dst: Buffer, dstStart: number): number;
}

export interface NativeAeadAddon {
  AeadContext: new (algorithm: NativeAeadAlgorithm, key: Buffer) => NativeAeadContext;
  /**
   * H_0 = HMAC-SHA256 keyed keys[0], H_i = HMAC over H_(i-1) keyed keys[i] (1 to 8 keys); returns
   * H_n(message), 32 bytes. VMess's AEAD KDF is this chain (core/protocol/vmess/kdf.ts).
   */
  hmacChain(keys: readonly Buffer[], message: Buffer): Buffer;
  /** RFC 5869 HKDF-SHA1 of `ikm` with `salt` and `info`, `length` (1 to 5100) bytes: Shadowsocks subkeys. */
  hkdfSha1(ikm: Buffer, salt: Buffer, info: Buffer, length: number): Buffer;
}

/** scripts/build-core.mjs rewrites import.meta.url, so the bundle in dist/core/ finds the addon here too. */
export const NATIVE_AEAD_ADDON = fileURLToPath(new URL('../../../native/aead/build/Release/aead.node', import.meta.url));

/** `SWITCHYARD_NATIVE_AEAD=0` keeps every chunk cipher on node:crypto (tests cover both paths with it). */
export const NATIVE_AEAD_SWITCH = 'SWITCHYARD_NATIVE_AEAD';

export type NativeAeadStatus = { loaded: true } | { loaded: false; reason: string };

const KEY_BYTES: Record<NativeAeadAlgorithm, number> = { 'aes-128-gcm': 16, 'aes-192-gcm': 24, 'aes-256-gcm': 32, 'chacha20-poly1305': 32 };

/**
 * Seals a small message with both the addon and node:crypto and compares: a library that exports the same
 * symbol names with other meanings (or another OpenSSL ABI) must not encrypt anyone's traffic.
 */
function agreesWithNodeCrypto(addon: NativeAeadAddon): boolean {
  for (const algorithm of Object.keys(KEY_BYTES) as NativeAeadAlgorithm[]) {
    const key = crypto.randomBytes(KEY_BYTES[algorithm]);
    const nonce = crypto.randomBytes(12);
    const plain = crypto.randomBytes(37);
    const sealed = Buffer.alloc(plain.length + NATIVE_TAG_BYTES);
    new addon.AeadContext(algorithm, key).seal(nonce, plain, 0, plain.length, sealed, 0);
    const c = crypto.createCipheriv(algorithm as 'chacha20-poly1305', key, nonce, { authTagLength: NATIVE_TAG_BYTES });
    if (!Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]).equals(sealed)) return false;
  }
  return true;
}

/**
 * Loads the addon from `file`: its exports when it is built, loads here and seals as node:crypto does;
 * otherwise why not. Electron links BoringSSL, where the load fails: that is the node:crypto case too.
 */
export function loadNativeAead(file = NATIVE_AEAD_ADDON, env: NodeJS.ProcessEnv = process.env): { addon?: NativeAeadAddon; status: NativeAeadStatus } {
  if (env[NATIVE_AEAD_SWITCH] === '0') return { status: { loaded: false, reason: `${NATIVE_AEAD_SWITCH}=0` } };
  try {
    const addon = createRequire(import.meta.url)(file) as NativeAeadAddon;
    if (typeof addon?.AeadContext !== 'function') return { status: { loaded: false, reason: `${file} exports no AeadContext` } };
    if (!agreesWithNodeCrypto(addon)) return { status: { loaded: false, reason: `${file} does not seal as node:crypto does` } };
    return { addon, status: { loaded: true } };
  } catch (err) {
    return { status: { loaded: false, reason: (err as Error).message.split('\n')[0]! } };
  }
}

let loaded: ReturnType<typeof loadNativeAead> | undefined;

/** The addon, loaded on first use and kept; undefined when VMess and Shadowsocks use node:crypto. */
export function nativeAead(): NativeAeadAddon | undefined {
  loaded ??= loadNativeAead();
  return loaded.addon;
}

/** Whether the chunk ciphers run on the addon, and if not why: for the caller that logs it once. */
export function nativeAeadStatus(): NativeAeadStatus {
  loaded ??= loadNativeAead();
  return loaded.status;
}

type AddonFunction = 'hmacChain' | 'hkdfSha1';

/**
 * The addon's function `name`, looked up on first call and kept once `agrees` finds it gives what the
 * node:crypto code beside it gives (null then, and for good, when there is no addon or it does not agree):
 * a key derivation must not quietly change because a library exports the same name with another meaning.
 */
export function agreeingNative<K extends AddonFunction>(
  name: K,
  agrees: (f: NativeAeadAddon[K]) => boolean,
  addon: () => Partial<NativeAeadAddon> | undefined = nativeAead,
): () => NativeAeadAddon[K] | null {
  let found: NativeAeadAddon[K] | null | undefined;
  return () => {
    if (found === undefined) {
      found = null; // decided once, even when the check throws
      const f = addon()?.[name] as NativeAeadAddon[K] | undefined;
      if (typeof f === 'function' && agrees(f)) found = f;
    }
    return found;
  };
}
