import { describe, expect, it } from 'vitest';
import { encodeTrojanRequest, trojanPasswordHash } from '../../../../core/protocol/trojan/header.js';
import { trojanSchema } from '../../../../core/protocol/trojan/index.js';

// SHA-224("abc") from FIPS 180-2, appendix: 23097d22 3405d822 8642a477 bda255b3 2aadbce4 bda0b3f7 e36c9da7.
const ABC_HASH = '23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7';
const prefix = Buffer.from(`${ABC_HASH}\r\n\x01`, 'latin1');
const CRLF = Buffer.from('\r\n');

describe('Trojan request header', () => {
  it('opens with the 56 hex digits of SHA-224(password)', () => {
    expect(trojanPasswordHash('abc').toString()).toBe(ABC_HASH);
  });

  it('IPv4: CMD 1, ATYP 1, four bytes, port, CRLF', () => {
    expect(encodeTrojanRequest(trojanPasswordHash('abc'), { host: '127.0.0.1', port: 8080 })).toEqual(
      Buffer.concat([prefix, Buffer.from([1, 127, 0, 0, 1, 0x1f, 0x90]), CRLF]),
    );
  });

  it('domain: ATYP 3, length, name, port', () => {
    expect(encodeTrojanRequest(trojanPasswordHash('abc'), { host: 'example.com', port: 443 })).toEqual(
      Buffer.concat([prefix, Buffer.from([3, 11]), Buffer.from('example.com'), Buffer.from([0x01, 0xbb]), CRLF]),
    );
  });

  it('IPv6: ATYP 4, sixteen bytes, port', () => {
    expect(encodeTrojanRequest(trojanPasswordHash('abc'), { host: '::1', port: 53 })).toEqual(
      Buffer.concat([prefix, Buffer.from([4]), Buffer.from('00000000000000000000000000000001', 'hex'), Buffer.from([0, 53]), CRLF]),
    );
  });
});

describe('trojan profile entry', () => {
  const base = { name: 'tj', type: 'trojan', server: 'example.com', port: 443, password: 'pw' };
  it('accepts sni, skip-cert-verify, alpn, ws-opts and client-fingerprint', () => {
    expect(trojanSchema.safeParse({ ...base, sni: 'example.com', 'skip-cert-verify': true, alpn: ['h2', 'http/1.1'], network: 'ws', 'ws-opts': { path: '/t' }, 'client-fingerprint': 'firefox' }).success).toBe(true);
  });

  it('needs a password, and says so without echoing one', () => {
    const r = trojanSchema.safeParse({ ...base, password: '' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['password']);
    expect(r.error!.issues[0]!.message).toBe('expected a non-empty password, got ""');
  });
});
