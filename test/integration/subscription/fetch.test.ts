import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_USER_AGENT, fetchSubscription } from '../../../core/subscription/fetch.js';
import { FetchError } from '../../../core/subscription/fetch-errors.js';
import { startMicrosocks, type ReferenceServer } from '../../helpers/reference-servers.js';
import { body, hang, redirect, startSubscriptionServer, status, type SubscriptionServer } from './subscription-server.js';

/** fetchSubscription against a real node:http server on loopback, and through a real microsocks. */
let server: SubscriptionServer;
let socks: ReferenceServer;

beforeAll(async () => {
  server = await startSubscriptionServer();
  socks = await startMicrosocks({ bindOutgoing: '127.0.0.9' });
});
afterAll(async () => {
  await server?.close();
  await socks?.stop();
});

async function fetchError(url: string, options: Parameters<typeof fetchSubscription>[1] = {}): Promise<FetchError> {
  const err = await fetchSubscription(url, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FetchError);
  return err as FetchError;
}

describe('fetchSubscription', () => {
  it('sends the default User-Agent and reads Subscription-Userinfo, profile-update-interval and Profile-Title', async () => {
    server.route('/sub/headers', body('ss://x', {
      'subscription-userinfo': 'upload=455727941; download=6174315083; total=1073741824000; expire=1671815872',
      'profile-update-interval': '12',
      'profile-title': `base64:${Buffer.from('机场 Alpha').toString('base64')}`,
      'content-disposition': 'attachment; filename="ignored.yaml"',
    }));
    const r = await fetchSubscription(server.url('/sub/headers?token=secret'));
    expect(r.body.toString()).toBe('ss://x');
    expect(r.info).toEqual({ upload: 455727941, download: 6174315083, total: 1073741824000, expire: 1671815872, updateIntervalH: 12, title: '机场 Alpha' });
    expect(server.requests.at(-1)!.userAgent).toBe(DEFAULT_USER_AGENT);
    expect(DEFAULT_USER_AGENT).toMatch(/^clash-verge\/v2\.\d+\.\d+ switchyard\/\d+\.\d+/);
  });

  it('takes the title from Content-Disposition (RFC 5987 filename*) when there is no Profile-Title, and sends a chosen User-Agent', async () => {
    server.route('/sub/disposition', body('x', { 'content-disposition': "attachment; filename=fallback.yaml; filename*=UTF-8''%E9%A6%99%E6%B8%AF%20Cloud.yaml" }));
    const r = await fetchSubscription(server.url('/sub/disposition'), { userAgent: 'ClashMetaForAndroid/2.10' });
    expect(r.info.title).toBe('香港 Cloud');
    expect(server.requests.at(-1)!.userAgent).toBe('ClashMetaForAndroid/2.10');
  });

  it('follows up to 5 redirects, relative ones too, and refuses the 6th', async () => {
    for (let i = 1; i <= 6; i++) server.route(`/hop/${i}`, redirect(i === 3 ? `/hop/${i + 1}` : server.url(`/hop/${i + 1}`), i % 2 ? 302 : 301));
    server.route('/hop/7', body('arrived'));
    const fromTwo = await fetchSubscription(server.url('/hop/2'));
    expect(fromTwo.body.toString()).toBe('arrived');
    expect(fromTwo.url).toBe(server.url('/hop/7'));
    const err = await fetchError(server.url('/hop/1?token=abc'));
    expect(err.code).toBe('FETCH_TOO_MANY_REDIRECTS');
    expect(err.message).toBe(`http://127.0.0.1:${server.port}: more than 5 redirects`);
  });

  it('names the status of a failed answer, never the path or query', async () => {
    server.route('/sub/500', status(500));
    const err = await fetchError(server.url('/sub/500?token=very-secret'));
    expect(err.code).toBe('FETCH_HTTP_STATUS');
    expect(err.status).toBe(500);
    expect(err.message).toBe(`http://127.0.0.1:${server.port} answered HTTP 500 Internal Server Error`);
    expect(err.message).not.toContain('secret');
  });

  it('times out a server that never answers, and one that stops half-way through the body', async () => {
    server.route('/sub/hang', hang);
    const started = Date.now();
    const err = await fetchError(server.url('/sub/hang'), { timeoutMs: 300 });
    expect(err.code).toBe('FETCH_TIMEOUT');
    expect(err.message).toContain('no complete answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(3000);
    server.route('/sub/stall', (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('ss://half');
    });
    expect((await fetchError(server.url('/sub/stall'), { timeoutMs: 300 })).code).toBe('FETCH_TIMEOUT');
  });

  it('reports a body the server cut short of its content-length as a network failure', async () => {
    server.route('/sub/cut', (_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.end('ss://only-part');
      res.socket?.destroy();
    });
    const err = await fetchError(server.url('/sub/cut'));
    expect(err.code).toBe('FETCH_NETWORK');
    expect(err.message).toContain('closed before the body was complete');
  });

  it('refuses a body over the size cap, whether declared or streamed, and a gzip bomb', async () => {
    server.route('/sub/declared', body(Buffer.alloc(2048, 'a')));
    server.route('/sub/chunked', (_req, res) => {
      res.writeHead(200);
      for (let i = 0; i < 8; i++) res.write(Buffer.alloc(512, 'b'));
      res.end();
    });
    const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024, 'c'));
    server.route('/sub/bomb', body(bomb, { 'content-encoding': 'gzip' }));
    for (const path of ['/sub/declared', '/sub/chunked', '/sub/bomb']) {
      const err = await fetchError(server.url(path), { maxBytes: 1024 });
      expect(err.code, path).toBe('FETCH_TOO_LARGE');
      expect(err.message).toContain('larger than the 1 KiB allowed');
    }
    expect(bomb.length).toBeLessThan(1024);
    // The default cap is 20 MiB.
    server.route('/sub/21mib', body(Buffer.alloc(21 * 1024 * 1024, 'd')));
    expect((await fetchError(server.url('/sub/21mib'))).message).toContain('larger than the 20 MiB allowed');
  });

  it('decodes gzip and brotli bodies', async () => {
    const text = 'ss://YWVzLTI1Ni1nY206cGFzcw@198.51.100.10:8388#one\n'.repeat(50);
    server.route('/sub/gzip', body(zlib.gzipSync(text), { 'content-encoding': 'gzip' }));
    server.route('/sub/br', body(zlib.brotliCompressSync(text), { 'content-encoding': 'br' }));
    expect((await fetchSubscription(server.url('/sub/gzip'))).body.toString()).toBe(text);
    expect((await fetchSubscription(server.url('/sub/br'))).body.toString()).toBe(text);
  });

  it('goes through a SOCKS5 proxy when given one: the server sees the proxy, not us', async () => {
    server.route('/sub/via', body('via socks'));
    const r = await fetchSubscription(server.url('/sub/via'), { socksProxy: { host: '127.0.0.1', port: socks.port } });
    expect(r.body.toString()).toBe('via socks');
    expect(server.requests.at(-1)!.from).toBe('127.0.0.9');
    const direct = await fetchSubscription(server.url('/sub/via'));
    expect(direct.body.toString()).toBe('via socks');
    expect(server.requests.at(-1)!.from).toBe('127.0.0.1');
  });

  it('refuses URLs that are not http(s) and names a refused connection', async () => {
    expect((await fetchError('ftp://example.com/sub')).code).toBe('FETCH_BAD_URL');
    expect((await fetchError('not a url')).code).toBe('FETCH_BAD_URL');
    const closed = await startSubscriptionServer();
    const url = closed.url('/gone');
    await closed.close();
    const err = await fetchError(url);
    expect(err.code).toBe('FETCH_NETWORK');
    expect(err.message).toContain('ECONNREFUSED');
  });
});
