import crypto from 'node:crypto';
import { agreeingNative } from '../common/native-aead.js';

/**
 * The VMess AEAD key derivation (v2fly proxy/vmess/aead/kdf.go): HMAC-SHA256 keyed with "VMess AEAD KDF",
 * then, for each path element, an HMAC that uses the previous HMAC as its hash function, keyed with that
 * element. The last one hashes the key. Block size stays SHA-256's 64 bytes all the way up.
 */
type HashOf = (parts: readonly Buffer[]) => Buffer;

const BLOCK = 64;
const ROOT_KEY = Buffer.from('VMess AEAD KDF');

const rootHash: HashOf = (parts) => {
  const h = crypto.createHmac('sha256', ROOT_KEY);
  for (const p of parts) h.update(p);
  return h.digest();
};

/** RFC 2104 HMAC over an arbitrary hash function. */
function hmacOver(hash: HashOf, key: Buffer): HashOf {
  const k = key.length > BLOCK ? hash([key]) : key;
  const ipad = Buffer.alloc(BLOCK, 0x36);
  const opad = Buffer.alloc(BLOCK, 0x5c);
  for (let i = 0; i < k.length; i++) {
    ipad[i]! ^= k[i]!;
    opad[i]! ^= k[i]!;
  }
  return (parts) => hash([opad, hash([ipad, ...parts])]);
}

/** The first level for each label ('VMess Header AEAD Key', ...): a handful of constants, built once. */
const labelHashes = new Map<string, HashOf>();
const labelBytes = new Map<string, Buffer>();

/** The addon's hmacChain once it has given what the code below gives; null when there is none. */
const chainOf = agreeingNative('hmacChain', (chain) => {
  const key = Buffer.from('agreement check');
  const path = ['VMess Header AEAD Key', Buffer.alloc(16, 1), Buffer.alloc(8, 2)] as const;
  return chain([ROOT_KEY, ...path.map(bytesOf)], key).equals(kdfInJs(key, path));
});

function bytesOf(p: string | Buffer): Buffer {
  if (typeof p !== 'string') return p;
  return labelBytes.get(p) ?? labelBytes.set(p, Buffer.from(p)).get(p)!;
}

/**
 * The key for `path` under the VMess KDF. Each path element doubles the hashing (a three-element path
 * is 16 SHA-256 runs, 8 HMAC objects through node:crypto, ~20 us; four of them per connection), so the
 * native addon's chain does it when it is there (~3.5 us).
 */
export function kdf(key: Buffer, ...path: (string | Buffer)[]): Buffer {
  const chain = path.length < 8 ? chainOf() : null; // the addon takes up to 8 keys, the root one included
  if (chain) return chain([ROOT_KEY, ...path.map(bytesOf)], key);
  return kdfInJs(key, path);
}

/** The KDF through node:crypto: the fallback, and what tests hold the addon's chain to. */
export function kdfInJs(key: Buffer, path: readonly (string | Buffer)[]): Buffer {
  let hash = rootHash;
  for (let i = 0; i < path.length; i++) {
    const p = path[i]!;
    if (typeof p !== 'string') hash = hmacOver(hash, p);
    else if (i === 0) hash = labelHashes.get(p) ?? labelHashes.set(p, hmacOver(rootHash, Buffer.from(p))).get(p)!;
    else hash = hmacOver(hash, Buffer.from(p));
  }
  return hash([key]);
}

export function kdf16(key: Buffer, ...path: (string | Buffer)[]): Buffer {
  return kdf(key, ...path).subarray(0, 16);
}

/** The user's command key: MD5(uuid bytes ‖ the VMess salt UUID). */
export function vmessCmdKey(uuid: Buffer): Buffer {
  return crypto.createHash('md5').update(uuid).update('c48619fe-8f02-49e0-b9e9-edf763e17e21').digest();
}

/** FNV-1a, 32 bits: the checksum closing the VMess request command. */
export function fnv1a32(data: Buffer): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) {
    h ^= data[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
