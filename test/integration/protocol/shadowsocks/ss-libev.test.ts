import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShadowsocks, shadowsocksSchema } from '../../../../core/protocol/shadowsocks/index.js';
import { ProxyError } from '../../../../core/adapter/errors.js';
import { startHttpTarget, expectedSha256, type HttpTarget } from '../../../helpers/http-target.js';
import { startSsServer, type SsServer } from '../../../helpers/ss-server.js';
import { forwardThrough, stopAndGoDownload } from '../../../helpers/relay-forward.js';
import { takeReads } from '../../../../core/transport/tcp.js';
import { dialContext, downloadThrough, failureOf, uploadThrough } from '../vless/transfer.js';

/** shadowsocks-libev 3.3.5 ss-server, one per SIP004 cipher, on loopback. */
const CIPHERS = ['aes-128-gcm', 'aes-256-gcm', 'chacha20-ietf-poly1305'] as const;
const PASSWORD = 'correct horse battery staple';
const SIZE = 20 * 1024 * 1024;

let target: HttpTarget;
const servers = {} as Record<(typeof CIPHERS)[number], SsServer>;

beforeAll(async () => {
  target = await startHttpTarget();
  const started = await Promise.all(CIPHERS.map((cipher) => startSsServer({ cipher, password: PASSWORD })));
  CIPHERS.forEach((c, i) => (servers[c] = started[i]!));
});

afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  await target?.close();
});

const outbound = (cipher: string, password = PASSWORD) =>
  createShadowsocks(shadowsocksSchema.parse({ name: `ss-${cipher}`, type: 'ss', server: '127.0.0.1', port: servers[cipher as (typeof CIPHERS)[number]].port, cipher, password }));

describe.each(CIPHERS)('ss-server %s', (cipher) => {
  it('downloads 20 MiB to an IP target with the right hash', async () => {
    const stream = await outbound(cipher).dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port));
    const res = await downloadThrough(stream, target.port, SIZE);
    expect(res.status).toBe(200);
    expect(res.bytes).toBe(SIZE);
    expect(res.sha256).toBe(expectedSha256(SIZE));
  });

  it('uploads 20 MiB to a domain target (localhost) with the right hash', async () => {
    const stream = await outbound(cipher).dial({ host: 'localhost', port: target.port }, dialContext('localhost', target.port));
    const res = await uploadThrough(stream, target.port, SIZE);
    expect(res).toEqual({ bytes: SIZE, sha256: expectedSha256(SIZE) });
  });
});

describe.each(CIPHERS)('ss-server %s through the router and relay', (cipher) => {
  const dest = () => ({ host: '127.0.0.1', port: target.port });

  it('the relay takes the plaintext straight from the stream (takeReads), and the socket below reads directly', async () => {
    const stream = await outbound(cipher).dial(dest(), dialContext('127.0.0.1', target.port));
    expect(takeReads(stream, () => true)).toBe(true);
    stream.destroy();
  });

  it('a client that keeps stopping to read gets 20 MiB intact, counted, and the connection let go', async () => {
    const { port, forward, tracker } = await forwardThrough(outbound(cipher), dest);
    try {
      expect(await stopAndGoDownload(port, SIZE)).toEqual({ bytes: SIZE, sha256: expectedSha256(SIZE) });
      expect(tracker.stats.counter(`ss-${cipher}`).down).toBeGreaterThanOrEqual(SIZE);
      for (let i = 0; i < 100 && tracker.size > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(tracker.size).toBe(0);
    } finally {
      forward.close();
    }
  });
});

describe('ss-server address types', () => {
  it('reaches an IPv6 target (ATYP 4)', async () => {
    const target6 = await startHttpTarget('::1');
    try {
      const stream = await outbound('aes-256-gcm').dial({ host: '::1', port: target6.port }, dialContext('::1', target6.port));
      expect(await downloadThrough(stream, target6.port, 1_000_000)).toMatchObject({ status: 200, sha256: expectedSha256(1_000_000) });
      expect(target6.hits.get('bytes')).toBe(1);
    } finally {
      await target6.close();
    }
  });
});

describe('ss-server with the wrong password', () => {
  it('logs an authentication error and stays silent; ending our side surfaces UPSTREAM_AUTH_FAILED at once', async () => {
    const server = servers['aes-128-gcm'];
    const stream = await outbound('aes-128-gcm', 'not-the-secret-9f3c').dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port));
    stream.write(`GET /bytes/10 HTTP/1.1\r\nHost: x\r\n\r\n`);
    // ss-server answers nothing (probe resistance); only the caller's own timeout bounds this wait.
    const silent = await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(true), 1500);
      stream.once('data', () => (clearTimeout(t), resolve(false)));
      stream.once('error', () => (clearTimeout(t), resolve(false)));
    });
    expect(silent).toBe(true);
    expect(server.output()).toMatch(/authentication error/);
    // Once we half-close, ss-server closes too, having sent nothing valid.
    const started = Date.now();
    const failure = failureOf(stream, 5000);
    stream.end();
    const err = await failure;
    expect(err).toBeInstanceOf(ProxyError);
    expect(err).toMatchObject({ code: 'UPSTREAM_AUTH_FAILED', outbound: 'ss-aes-128-gcm' });
    expect(err.message).toMatch(/wrong password or cipher\?/);
    expect(err.message).not.toContain('not-the-secret-9f3c');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('the wrong cipher of the same key size fails the same way', async () => {
    const port = servers['aes-256-gcm'].port;
    const out = createShadowsocks(shadowsocksSchema.parse({ name: 'mismatch', type: 'ss', server: '127.0.0.1', port, cipher: 'chacha20-ietf-poly1305', password: PASSWORD }));
    const stream = await out.dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port));
    const failure = failureOf(stream, 5000);
    stream.end(`GET /hello HTTP/1.1\r\nHost: x\r\n\r\n`);
    await expect(failure).resolves.toMatchObject({ code: 'UPSTREAM_AUTH_FAILED', outbound: 'mismatch' });
  });
});
