import crypto from 'node:crypto';
import { blake3 } from '@noble/hashes/blake3.js';
import { agreeingNative } from '../common/native-aead.js';
import type { Method } from './methods.js';

/**
 * OpenSSL's EVP_BytesToKey with MD5 and no salt, one iteration: D1 = MD5(pw), Di = MD5(Di-1 || pw),
 * concatenated to `keySize` bytes. This is how SIP004 turns a password into the master key.
 */
export function evpBytesToKey(password: string, keySize: number): Buffer {
  const pw = Buffer.from(password, 'utf8');
  const parts: Buffer[] = [];
  let have = 0;
  let prev = Buffer.alloc(0);
  while (have < keySize) {
    prev = crypto.createHash('md5').update(prev).update(pw).digest();
    parts.push(prev);
    have += prev.length;
  }
  return Buffer.concat(parts).subarray(0, keySize);
}

const SUBKEY_INFO = Buffer.from('ss-subkey');

/** The addon's hkdfSha1 once it has given what the code below gives; null when there is none. */
const hkdfOf = agreeingNative('hkdfSha1', (hkdf) => {
  const key = Buffer.alloc(32, 7);
  const salt = Buffer.alloc(32, 9);
  return hkdf(key, salt, SUBKEY_INFO, 32).equals(aeadSubkeyInJs(key, salt));
});

/**
 * SIP004 per-session subkey: HKDF-SHA1(master key, salt, info "ss-subkey"). Every connection derives two
 * (one per direction): the addon does one in ~1 us, node:crypto's HMACs in ~8-16.
 */
export function aeadSubkey(masterKey: Buffer, salt: Buffer): Buffer {
  const hkdf = hkdfOf();
  return hkdf ? hkdf(masterKey, salt, SUBKEY_INFO, masterKey.length) : aeadSubkeyInJs(masterKey, salt);
}

/**
 * The subkey through node:crypto: the fallback, and what tests hold the addon to. RFC 5869 spelled out
 * with two or three HMACs: crypto.hkdfSync builds key objects and a job per call and measured twice as slow.
 */
export function aeadSubkeyInJs(masterKey: Buffer, salt: Buffer): Buffer {
  const prk = crypto.createHmac('sha1', salt).update(masterKey).digest(); // extract
  const blocks: Buffer[] = [];
  let previous = Buffer.alloc(0);
  let have = 0;
  for (let i = 1; have < masterKey.length; i++) {
    // expand: T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i)
    previous = crypto.createHmac('sha1', prk).update(previous).update(SUBKEY_INFO).update(Buffer.of(i)).digest();
    blocks.push(previous);
    have += previous.length;
  }
  return Buffer.concat(blocks, have).subarray(0, masterKey.length);
}

const SESSION_SUBKEY_CONTEXT = new TextEncoder().encode('shadowsocks 2022 session subkey');

/** SIP022 session subkey: BLAKE3 derive_key(context "shadowsocks 2022 session subkey", psk || salt). */
export function blake3SessionSubkey(psk: Buffer, salt: Buffer): Buffer {
  const material = Buffer.concat([psk, salt]);
  return Buffer.from(blake3(material, { context: SESSION_SUBKEY_CONTEXT, dkLen: psk.length }));
}

/**
 * SIP022 PSK: base64 of exactly keySize random bytes. Returns undefined when the text is not that, so
 * the caller can word the error without repeating the secret.
 */
export function decodePsk(text: string, keySize: number): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) && !/^[A-Za-z0-9_-]+={0,2}$/.test(trimmed)) return undefined;
  const key = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
  return key.length === keySize ? key : undefined;
}

/** The long-lived key for a method: the master key (AEAD) or the PSK (2022). */
export function methodKey(method: Method, password: string): Buffer {
  if (method.edition === 'aead') return evpBytesToKey(password, method.keySize);
  const psk = decodePsk(password, method.keySize);
  if (!psk) throw new Error(`password for ${method.name} must be a base64 key of ${method.keySize} bytes`);
  return psk;
}

/** The session subkey for one direction of one connection. */
export function sessionSubkey(method: Method, key: Buffer, salt: Buffer): Buffer {
  return method.edition === 'aead' ? aeadSubkey(key, salt) : blake3SessionSubkey(key, salt);
}
