import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aeadSubkey, aeadSubkeyInJs, blake3SessionSubkey, decodePsk, evpBytesToKey } from '../../../../core/protocol/shadowsocks/keys.js';

const range = (from: number, n: number) => Buffer.from(Array.from({ length: n }, (_, i) => from + i));

describe('EVP_BytesToKey (MD5)', () => {
  // Expected keys from OpenSSL itself: `openssl enc -aes-128-cbc -k 'test-password' -P -nosalt -md md5` (key=)
  // and the same with -aes-256-cbc; the 16-byte key is the 32-byte key's prefix, as EVP_BytesToKey implies.
  it('matches openssl enc -P for 16 and 32 byte keys', () => {
    expect(evpBytesToKey('test-password', 16).toString('hex')).toBe('dfb450efddbb5387197c84460623675b');
    expect(evpBytesToKey('test-password', 32).toString('hex')).toBe('dfb450efddbb5387197c84460623675b69f2cebcd8ef520a3dfddef7c3d540b2');
  });

  it('hashes the password as UTF-8', () => {
    // openssl enc -aes-256-cbc -k 'pässwörd' -P -nosalt -md md5 (UTF-8 shell)
    expect(evpBytesToKey('pässwörd', 32).toString('hex')).toBe('12841e4ba5e37d2fbfc78458c6714ade0201471e53886ae9c798833f136c9692');
  });
});

// Both paths: the addon's hkdfSha1 (aeadSubkey where it loads) and the node:crypto HMACs it falls back to.
describe.each([
  ['aeadSubkey', aeadSubkey],
  ['aeadSubkeyInJs', aeadSubkeyInJs],
])('SIP004 subkey HKDF-SHA1(key, salt, "ss-subkey"): %s', (_name, subkey) => {
  // openssl kdf -keylen 16 -kdfopt digest:SHA1 -kdfopt hexkey:<EVP key above> -kdfopt hexsalt:000102..0f -kdfopt info:ss-subkey HKDF
  it('matches openssl kdf HKDF for a 16-byte key', () => {
    expect(subkey(evpBytesToKey('test-password', 16), range(0, 16)).toString('hex')).toBe('780f000955954fb33743812b1002261b');
  });

  it.each([16, 24, 32])('agrees with node:crypto hkdfSync for random %i-byte keys and salts', (size) => {
    for (let i = 0; i < 50; i++) {
      const key = crypto.randomBytes(size);
      const salt = crypto.randomBytes(size);
      expect(subkey(key, salt)).toEqual(Buffer.from(crypto.hkdfSync('sha1', key, salt, 'ss-subkey', size)));
    }
  });

  // Same with -keylen 32, the 32-byte EVP key and salt 00..1f.
  it('matches openssl kdf HKDF for a 32-byte key', () => {
    expect(subkey(evpBytesToKey('test-password', 32), range(0, 32)).toString('hex')).toBe('7b6ca12d45ef79467432717aaa6a6ae6e1dd046a505fb2ebaaac602210919595');
  });
});

describe('SIP022 session subkey BLAKE3 derive_key', () => {
  // The BLAKE3 team's Rust CLI (Debian b3sum 1.2.0):
  //   printf <psk||salt> | b3sum --derive-key "shadowsocks 2022 session subkey" -l 16 --no-names
  it('matches b3sum --derive-key for a 16-byte PSK and salt', () => {
    expect(blake3SessionSubkey(range(0, 16), range(100, 16)).toString('hex')).toBe('7e504e78da28b14d4fb48f08430baf79');
  });

  it('matches b3sum --derive-key for a 32-byte PSK and salt', () => {
    expect(blake3SessionSubkey(range(0, 32), range(100, 32)).toString('hex')).toBe('1cb1daec0bd7d02d913a22b60d39e518259adb8f0b63c445b8a5e04a8e52bf65');
  });
});

describe('SIP022 PSK', () => {
  it('accepts base64 of exactly the key size', () => {
    expect(decodePsk(range(0, 16).toString('base64'), 16)).toEqual(range(0, 16));
    expect(decodePsk(range(0, 32).toString('base64'), 32)).toEqual(range(0, 32));
  });

  it('refuses other lengths and non-base64 text', () => {
    expect(decodePsk(range(0, 16).toString('base64'), 32)).toBeUndefined();
    expect(decodePsk('not a key!', 16)).toBeUndefined();
    expect(decodePsk('', 16)).toBeUndefined();
  });
});
