import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/ports.js';
import { startHttpTarget, type HttpTarget } from '../../helpers/http-target.js';
import { curl, RawClient, SOCKS5_NO_AUTH_GREETING, socks5ConnectIPv4, startInbound, type InboundHarness } from './harness.js';

/**
 * Broken and refused clients: each case asserts the exact protocol answer, that the server closes the
 * connection, and (afterEach) that the server still serves a good client.
 */

const HANDSHAKE_TIMEOUT_MS = 400;
let open: InboundHarness;
let authed: InboundHarness;
let target: HttpTarget;
let closedPort: number;

beforeAll(async () => {
  open = await startInbound({ handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS });
  authed = await startInbound({ handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS, authentication: ['alice:s3cret:with:colons', 'bob:hunter2'] });
  target = await startHttpTarget();
  closedPort = await freePort();
});

afterAll(async () => {
  await open?.close();
  await authed?.close();
  await target?.close();
});

afterEach(async () => {
  open.outbound = open.direct;
  const a = await curl(['--socks5-hostname', open.proxy, target.url('/hello')]);
  expect(a.stdout.toString(), `open inbound still serves: ${a.stderr}`).toBe('hello');
  const b = await curl(['-x', `http://${authed.proxy}`, '-U', 'bob:hunter2', target.url('/hello')]);
  expect(b.stdout.toString(), `authenticated inbound still serves: ${b.stderr}`).toBe('hello');
});

const reply5 = (code: number) => [0x05, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0];

/** Sends `parts` in order, each after the previous answer of `expectBytes[i]` bytes, then waits for the close. */
async function exchange(port: number, parts: (Buffer | string)[], expectBytes: number[] = []): Promise<Buffer> {
  const c = await RawClient.connect(port);
  let total = 0;
  for (let i = 0; i < parts.length; i++) {
    c.write(parts[i]!);
    if (expectBytes[i]) await c.waitForBytes((total += expectBytes[i]!));
  }
  await c.waitClosed(3000);
  return c.received;
}

describe('SOCKS5 refusals', () => {
  it('closes a truncated greeting after the handshake timeout, answering nothing', async () => {
    const c = await RawClient.connect(open.port);
    c.write(Buffer.from([0x05, 0x02, 0x00])); // promises two methods, sends one
    const took = await c.waitClosed(3000);
    expect(c.received.length).toBe(0);
    expect(took).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT_MS - 50);
  });

  it('closes a truncated request (half an IPv6 address) after the timeout', async () => {
    const c = await RawClient.connect(open.port);
    c.write(SOCKS5_NO_AUTH_GREETING);
    await c.waitForBytes(2);
    c.write(Buffer.from([0x05, 0x01, 0x00, 0x04, 0, 0, 0, 0, 0, 0, 0, 0]));
    await c.waitClosed(3000);
    expect([...c.received]).toEqual([0x05, 0x00]);
  });

  it('closes a client that sends nothing after the timeout', async () => {
    const c = await RawClient.connect(open.port);
    const took = await c.waitClosed(3000);
    expect(took).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT_MS - 50);
    expect(c.received.length).toBe(0);
  });

  it('answers BIND with 0x07 command not supported', async () => {
    const got = await exchange(open.port, [SOCKS5_NO_AUTH_GREETING, socks5ConnectIPv4('127.0.0.1', target.port, 0x02)], [2]);
    expect([...got]).toEqual([0x05, 0x00, ...reply5(0x07)]);
  });

  it('answers UDP ASSOCIATE with 0x07 command not supported', async () => {
    const got = await exchange(open.port, [SOCKS5_NO_AUTH_GREETING, socks5ConnectIPv4('0.0.0.0', 0, 0x03)], [2]);
    expect([...got]).toEqual([0x05, 0x00, ...reply5(0x07)]);
  });

  it('answers an unknown address type with 0x08', async () => {
    const got = await exchange(open.port, [SOCKS5_NO_AUTH_GREETING, Buffer.from([0x05, 0x01, 0x00, 0x09, 1, 2, 3, 4, 0, 80])], [2]);
    expect([...got]).toEqual([0x05, 0x00, ...reply5(0x08)]);
  });

  it('answers a REJECT route with 0x02 not allowed', async () => {
    open.outbound = open.reject;
    const got = await exchange(open.port, [SOCKS5_NO_AUTH_GREETING, socks5ConnectIPv4('127.0.0.1', target.port)], [2]);
    expect([...got]).toEqual([0x05, 0x00, ...reply5(0x02)]);
  });

  it('answers an unreachable target (closed port) with 0x05 connection refused', async () => {
    const got = await exchange(open.port, [SOCKS5_NO_AUTH_GREETING, socks5ConnectIPv4('127.0.0.1', closedPort)], [2]);
    expect([...got]).toEqual([0x05, 0x00, ...reply5(0x05)]);
    expect(open.tracker.size).toBe(0);
  });

  it('answers a wrong password with RFC 1929 failure and closes', async () => {
    const auth = Buffer.concat([Buffer.from([0x01, 3]), Buffer.from('bob'), Buffer.from([5]), Buffer.from('wrong')]);
    const got = await exchange(authed.port, [Buffer.from([0x05, 0x02, 0x00, 0x02]), auth], [2, 2]);
    expect([...got]).toEqual([0x05, 0x02, 0x01, 0x01]);
  });

  it('offers only user/pass when users are configured: a no-auth-only client gets 0xFF', async () => {
    const got = await exchange(authed.port, [SOCKS5_NO_AUTH_GREETING]);
    expect([...got]).toEqual([0x05, 0xff]);
  });

  it('answers a user/pass message of an unknown version with RFC 1929 failure', async () => {
    const got = await exchange(authed.port, [Buffer.from([0x05, 0x01, 0x02]), Buffer.from([0x07, 0x01, 0x61, 0x01, 0x62])], [2]);
    expect([...got]).toEqual([0x05, 0x02, 0x01, 0x01]);
  });
});

describe('SOCKS4 refusals', () => {
  const socks4 = (port: number) => Buffer.from([0x04, 0x01, port >> 8, port & 0xff, 127, 0, 0, 1, 0x00]);

  it('refuses SOCKS4 with 0x5B when authentication is required', async () => {
    const got = await exchange(authed.port, [socks4(target.port)]);
    expect([...got]).toEqual([0x00, 0x5b, 0, 0, 0, 0, 0, 0]);
    expect((await curl(['--socks4', authed.proxy, target.url('/hello')])).code).not.toBe(0);
  });

  it('answers 0x5B for a closed port and for a REJECT route', async () => {
    expect([...(await exchange(open.port, [socks4(closedPort)]))]).toEqual([0x00, 0x5b, 0, 0, 0, 0, 0, 0]);
    open.outbound = open.reject;
    expect([...(await exchange(open.port, [socks4(target.port)]))]).toEqual([0x00, 0x5b, 0, 0, 0, 0, 0, 0]);
  });
});

describe('HTTP refusals', () => {
  const connect = (port: number, extra = '') => `CONNECT 127.0.0.1:${port} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}\r\n`;
  const basic = (cred: string) => `Proxy-Authorization: Basic ${Buffer.from(cred).toString('base64')}\r\n`;
  const status = (b: Buffer) => b.toString('latin1').split('\r\n')[0];

  it.each([
    ['CONNECT without credentials', () => connect(target.port)],
    ['CONNECT with a wrong password', () => connect(target.port, basic('bob:nope'))],
    ['a plain request without credentials', () => `GET ${target.url('/hello')} HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['a plain request with an unknown user', () => `GET ${target.url('/hello')} HTTP/1.1\r\nHost: x\r\n${basic('eve:hunter2')}\r\n`],
  ])('answers %s with 407 and a Basic challenge', async (_name, request) => {
    const hits = target.hits.get('hello') ?? 0;
    const got = await exchange(authed.port, [request()]);
    expect(status(got)).toBe('HTTP/1.1 407 Proxy Authentication Required');
    expect(got.toString()).toContain('Proxy-Authenticate: Basic realm="switchyard"\r\n');
    expect(got.toString()).toMatch(/\r\n\r\n407 PROXY_AUTHENTICATION_REQUIRED\n$/);
    expect(target.hits.get('hello') ?? 0).toBe(hits);
  });

  it('accepts a password containing colons over CONNECT', async () => {
    const r = await curl(['-p', '-x', `http://${authed.proxy}`, '-U', 'alice:s3cret:with:colons', target.url('/hello')]);
    expect(r.stdout.toString()).toBe('hello');
  });

  it('answers a 1 MiB header with 431 and closes', async () => {
    const got = await exchange(open.port, [`GET ${target.url('/hello')} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(1 << 20)}\r\n\r\n`]);
    expect(status(got)).toBe('HTTP/1.1 431 Request Header Fields Too Large');
  });

  it('answers an origin-form request to the proxy itself with 400', async () => {
    const got = await exchange(open.port, [`GET / HTTP/1.1\r\nHost: ${open.proxy}\r\n\r\n`]);
    expect(status(got)).toBe('HTTP/1.1 400 Bad Request');
    expect(got.toString()).toMatch(/\r\n\r\n400 NOT_A_PROXY_REQUEST\n$/);
  });

  it('answers a CONNECT without a port with 400', async () => {
    const got = await exchange(open.port, ['CONNECT 127.0.0.1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n']);
    expect(status(got)).toBe('HTTP/1.1 400 Bad Request');
  });

  it('answers a malformed request line with 400', async () => {
    const got = await exchange(open.port, ['GET\x01 nonsense\r\n\r\n']);
    expect(status(got)).toBe('HTTP/1.1 400 Bad Request');
  });

  it('answers a REJECT route with 403 for CONNECT and plain requests', async () => {
    open.outbound = open.reject;
    const viaConnect = await exchange(open.port, [connect(target.port)]);
    expect(status(viaConnect)).toBe('HTTP/1.1 403 Forbidden');
    expect(viaConnect.toString()).toMatch(/\r\n\r\n403 RULE_REJECTED\n$/);
    const plain = await exchange(open.port, [`GET ${target.url('/hello')} HTTP/1.1\r\nHost: x\r\n\r\n`]);
    expect(status(plain)).toBe('HTTP/1.1 403 Forbidden');
    expect(plain.toString()).toMatch(/\r\n\r\n403 RULE_REJECTED\n$/);
  });

  it('answers an unreachable target with 502 for CONNECT and plain requests', async () => {
    const viaConnect = await exchange(open.port, [connect(closedPort)]);
    expect(status(viaConnect)).toBe('HTTP/1.1 502 Bad Gateway');
    expect(viaConnect.toString()).toMatch(/\r\n\r\n502 CONNECTION_REFUSED\n$/);
    const plain = await exchange(open.port, [`GET http://127.0.0.1:${closedPort}/ HTTP/1.1\r\nHost: x\r\n\r\n`]);
    expect(status(plain)).toBe('HTTP/1.1 502 Bad Gateway');
    expect(plain.toString()).toMatch(/\r\n\r\n502 CONNECTION_REFUSED\n$/);
    const viaCurl = await curl(['-x', `http://${open.proxy}`, '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${closedPort}/`]);
    expect(viaCurl.stdout.toString()).toBe('502');
  });
});

describe('garbage', () => {
  it.each([
    ['a TLS ClientHello', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])],
    ['a NUL byte', Buffer.from([0x00, 0xff, 0xff])],
    ['lower-case text', Buffer.from('hello proxy\r\n')],
  ])('closes on %s without answering', async (_name, bytes) => {
    const c = await RawClient.connect(open.port);
    c.write(bytes);
    const took = await c.waitClosed(3000);
    expect(c.received.length).toBe(0);
    expect(took).toBeLessThan(HANDSHAKE_TIMEOUT_MS); // refused at once, not by the timeout
  });
});
