import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fnv1a32, kdf, kdf16, kdfInJs, vmessCmdKey } from '../../../../core/protocol/vmess/kdf.js';
import { createAuthId } from '../../../../core/protocol/vmess/header.js';
import { uuidBytes } from '../../../../core/protocol/vless/uuid.js';

/** CRC-32/IEEE bit by bit, written here so the AuthID check does not lean on the code under test. */
function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('VMess KDF', () => {
  it('matches the vector in v2fly proxy/vmess/aead/kdf_test.go (three nested path elements)', () => {
    // TestKDFValue in v2ray-core asserts this exact value for this key and these paths.
    const out = kdf(
      Buffer.from('Demo Key for KDF Value Test'),
      'Demo Path for KDF Value Test',
      'Demo Path for KDF Value Test2',
      'Demo Path for KDF Value Test3',
    );
    expect(out.toString('hex')).toBe('53e9d7e1bd7bd25022b71ead07d8a596efc8a845c7888652fd684b4903dc8892');
  });

  it('gives the same vector on the node:crypto path (the fallback when the native addon is absent)', () => {
    const out = kdfInJs(Buffer.from('Demo Key for KDF Value Test'), [
      'Demo Path for KDF Value Test',
      'Demo Path for KDF Value Test2',
      'Demo Path for KDF Value Test3',
    ]);
    expect(out.toString('hex')).toBe('53e9d7e1bd7bd25022b71ead07d8a596efc8a845c7888652fd684b4903dc8892');
  });

  it('is plain HMAC-SHA256 keyed "VMess AEAD KDF" without a path, and kdf16 is its first half', () => {
    const key = Buffer.from('some key');
    const expected = crypto.createHmac('sha256', 'VMess AEAD KDF').update(key).digest();
    expect(kdf(key)).toEqual(expected);
    expect(kdf16(key, 'x')).toEqual(kdf(key, 'x').subarray(0, 16));
  });

  it('cmdKey is MD5(uuid bytes ‖ "c48619fe-8f02-49e0-b9e9-edf763e17e21")', () => {
    const uuid = 'b831381d-6324-4d53-ad4f-8cda48b30811';
    const expected = crypto.createHash('md5').update(Buffer.from('b831381d63244d53ad4f8cda48b30811', 'hex')).update('c48619fe-8f02-49e0-b9e9-edf763e17e21').digest();
    expect(vmessCmdKey(uuidBytes(uuid))).toEqual(expected);
  });
});

describe('FNV-1a 32', () => {
  it('matches the published FNV test vectors', () => {
    expect(fnv1a32(Buffer.from(''))).toBe(0x811c9dc5);
    expect(fnv1a32(Buffer.from('a'))).toBe(0xe40c292c);
    expect(fnv1a32(Buffer.from('foobar'))).toBe(0xbf9cf968);
  });
});

describe('VMess AuthID', () => {
  it('is AES-128-ECB(KDF16(cmdKey, "AES Auth ID Encryption")) of time ‖ random ‖ CRC32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926); // the CRC-32 check value, for the helper itself
    const cmdKey = vmessCmdKey(uuidBytes('b831381d-6324-4d53-ad4f-8cda48b30811'));
    const random = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    const authId = createAuthId(cmdKey, 1_700_000_000, random);
    expect(authId).toHaveLength(16);

    const ecb = crypto.createDecipheriv('aes-128-ecb', kdf16(cmdKey, 'AES Auth ID Encryption'), null);
    ecb.setAutoPadding(false);
    const plain = Buffer.concat([ecb.update(authId), ecb.final()]);
    expect(plain.readBigUInt64BE(0)).toBe(1_700_000_000n);
    expect(plain.subarray(8, 12)).toEqual(random);
    expect(plain.readUInt32BE(12)).toBe(crc32(plain.subarray(0, 12)));
  });

  it('differs per call through its random part', () => {
    const cmdKey = vmessCmdKey(uuidBytes('b831381d-6324-4d53-ad4f-8cda48b30811'));
    expect(createAuthId(cmdKey, 1_700_000_000)).not.toEqual(createAuthId(cmdKey, 1_700_000_000));
  });
});
