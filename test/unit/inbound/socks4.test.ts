import { describe, expect, it } from 'vitest';
import { parseSocks4Request } from '../../../core/inbound/socks4.js';

describe('socks4 request', () => {
  it('reads SOCKS4 with a user id', () => {
    const msg = Buffer.concat([Buffer.from([0x04, 0x01, 0x00, 0x50, 192, 168, 1, 9]), Buffer.from('me'), Buffer.from([0])]);
    for (let n = 0; n < msg.length; n++) expect(parseSocks4Request(msg.subarray(0, n))).toBeUndefined();
    expect(parseSocks4Request(msg)).toEqual({ command: 1, host: '192.168.1.9', port: 80, userId: 'me', size: msg.length });
  });

  it('reads SOCKS4a (0.0.0.x) with the domain after the user id', () => {
    const msg = Buffer.concat([Buffer.from([0x04, 0x01, 0x01, 0xbb, 0, 0, 0, 1, 0]), Buffer.from('example.org'), Buffer.from([0])]);
    for (let n = 0; n < msg.length; n++) expect(parseSocks4Request(msg.subarray(0, n))).toBeUndefined();
    expect(parseSocks4Request(msg)).toEqual({ command: 1, host: 'example.org', port: 443, userId: '', size: msg.length });
  });

  it('leaves bytes past the request for the relay', () => {
    const msg = Buffer.from([0x04, 0x01, 0x00, 0x50, 127, 0, 0, 1, 0, 0x47, 0x45, 0x54]);
    expect(parseSocks4Request(msg)).toMatchObject({ size: 9 });
  });

  it('gives up on an unterminated user id or domain and an empty domain', () => {
    expect(parseSocks4Request(Buffer.concat([Buffer.from([0x04, 0x01, 0, 80, 1, 2, 3, 4]), Buffer.alloc(300, 0x61)]))).toEqual({ invalid: true });
    expect(parseSocks4Request(Buffer.concat([Buffer.from([0x04, 0x01, 0, 80, 0, 0, 0, 1, 0]), Buffer.alloc(300, 0x61)]))).toEqual({ invalid: true });
    expect(parseSocks4Request(Buffer.from([0x04, 0x01, 0, 80, 0, 0, 0, 1, 0, 0]))).toEqual({ invalid: true });
  });
});
