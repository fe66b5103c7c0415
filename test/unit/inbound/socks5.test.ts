import { describe, expect, it } from 'vitest';
import { chooseMethod, Method, parseGreeting, parseRequest, parseUserPass, socks5Reply } from '../../../core/inbound/socks5.js';

/** Every strict prefix of a complete message must read as "need more", never as an answer. */
function expectIncompleteUntilWhole<T>(parse: (b: Buffer) => T | undefined, whole: Buffer): T {
  for (let n = 0; n < whole.length; n++) expect(parse(whole.subarray(0, n)), `prefix of ${n} bytes`).toBeUndefined();
  return parse(whole)!;
}

describe('socks5 greeting', () => {
  it('waits for all announced methods', () => {
    const g = expectIncompleteUntilWhole(parseGreeting, Buffer.from([0x05, 0x02, 0x00, 0x02]));
    expect([...g.methods]).toEqual([0x00, 0x02]);
    expect(g.size).toBe(4);
  });

  it('offers only user/pass when auth is required', () => {
    expect(chooseMethod(Buffer.from([0x00, 0x02]), true)).toBe(Method.USER_PASS);
    expect(chooseMethod(Buffer.from([0x00]), true)).toBe(Method.NO_ACCEPTABLE);
    expect(chooseMethod(Buffer.from([0x00, 0x02]), false)).toBe(Method.NO_AUTH);
    expect(chooseMethod(Buffer.from([0x02]), false)).toBe(Method.USER_PASS);
    expect(chooseMethod(Buffer.from([0x01]), false)).toBe(Method.NO_ACCEPTABLE);
    expect(chooseMethod(Buffer.alloc(0), false)).toBe(Method.NO_ACCEPTABLE);
  });
});

describe('RFC 1929 user/pass', () => {
  it('reads user and password', () => {
    const msg = Buffer.concat([Buffer.from([0x01, 5]), Buffer.from('alice'), Buffer.from([6]), Buffer.from('p:ss w')]);
    expect(expectIncompleteUntilWhole(parseUserPass, msg)).toEqual({ user: 'alice', password: 'p:ss w', size: msg.length });
  });

  it('allows an empty password and rejects another sub-negotiation version', () => {
    expect(parseUserPass(Buffer.from([0x01, 1, 0x61, 0]))).toEqual({ user: 'a', password: '', size: 4 });
    expect(parseUserPass(Buffer.from([0x05, 1, 0x61, 0]))).toEqual({ invalid: true });
  });
});

describe('socks5 request', () => {
  it('reads an IPv4 CONNECT', () => {
    const msg = Buffer.from([0x05, 0x01, 0x00, 0x01, 10, 1, 2, 3, 0x01, 0xbb]);
    expect(expectIncompleteUntilWhole(parseRequest, msg)).toEqual({ command: 1, host: '10.1.2.3', port: 443, size: 10 });
  });

  it('reads a domain CONNECT', () => {
    const msg = Buffer.concat([Buffer.from([0x05, 0x01, 0x00, 0x03, 11]), Buffer.from('example.com'), Buffer.from([0x00, 0x50])]);
    expect(expectIncompleteUntilWhole(parseRequest, msg)).toEqual({ command: 1, host: 'example.com', port: 80, size: msg.length });
  });

  it('reads an IPv6 CONNECT in compressed form', () => {
    const addr = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01];
    const msg = Buffer.from([0x05, 0x01, 0x00, 0x04, ...addr, 0x1f, 0x90]);
    expect(expectIncompleteUntilWhole(parseRequest, msg)).toEqual({ command: 1, host: '2001:db8::1', port: 8080, size: 22 });
  });

  it('keeps the command for the caller and reports bad address types and versions', () => {
    expect(parseRequest(Buffer.from([0x05, 0x02, 0x00, 0x01, 1, 2, 3, 4, 0, 80]))).toMatchObject({ command: 2 });
    expect(parseRequest(Buffer.from([0x05, 0x01, 0x00, 0x05, 1, 2, 3, 4, 0, 80]))).toEqual({ reply: 0x08 });
    expect(parseRequest(Buffer.from([0x04, 0x01, 0x00, 0x01, 1, 2, 3, 4, 0, 80]))).toEqual({ reply: 0x01 });
    expect(parseRequest(Buffer.from([0x05, 0x01, 0x00, 0x03, 0, 0, 80]))).toEqual({ reply: 0x01 });
  });

  it('builds replies with a zero bound address', () => {
    expect([...socks5Reply(0x05)]).toEqual([0x05, 0x05, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
    expect([...socks5Reply(0x42)]).toEqual([0x05, 0x42, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
  });
});
