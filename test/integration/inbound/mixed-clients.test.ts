import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { SocksProxyAgent } from 'socks-proxy-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedSha256, startHttpTarget, type HttpTarget } from '../../helpers/http-target.js';
import { curl, ipv6LoopbackAvailable, RawClient, SOCKS5_NO_AUTH_GREETING, sha256, socks5ConnectIPv4, startInbound, waitUntil, type InboundHarness } from './harness.js';

/** Real clients (curl, socks-proxy-agent, node:http) through the mixed inbound to a local HTTP target. */

let h: InboundHarness;
let target: HttpTarget;
let target2: HttpTarget;
let ipv6Target: HttpTarget | undefined;
let uploadFile: string;
let uploadSha: string;
const UPLOAD_BYTES = 8 * 1024 * 1024 + 123;
const BIG = 50 * 1024 * 1024;

beforeAll(async () => {
  h = await startInbound();
  target = await startHttpTarget();
  target2 = await startHttpTarget();
  if (await ipv6LoopbackAvailable()) ipv6Target = await startHttpTarget('::1');
  uploadFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-inbound-')), 'upload.bin');
  const body = crypto.randomBytes(UPLOAD_BYTES);
  fs.writeFileSync(uploadFile, body);
  uploadSha = sha256(body);
});

afterAll(async () => {
  await h?.close();
  await target?.close();
  await target2?.close();
  await ipv6Target?.close();
  if (uploadFile) fs.rmSync(path.dirname(uploadFile), { recursive: true, force: true });
});

const lastRouted = () => h.routed[h.routed.length - 1]!;

describe('each protocol with curl', () => {
  const cases: { name: string; args: () => string[]; url: () => string; inbound: string; host: string }[] = [
    { name: 'socks5 with remote DNS', args: () => ['--socks5-hostname', h.proxy], url: () => `http://localhost:${target.port}/hello`, inbound: 'socks5', host: 'localhost' },
    { name: 'socks5 with an IPv4 target', args: () => ['--socks5', h.proxy], url: () => target.url('/hello'), inbound: 'socks5', host: '127.0.0.1' },
    { name: 'socks4', args: () => ['--socks4', h.proxy], url: () => target.url('/hello'), inbound: 'socks4', host: '127.0.0.1' },
    { name: 'socks4a with remote DNS', args: () => ['--socks4a', h.proxy], url: () => `http://localhost:${target.port}/hello`, inbound: 'socks4', host: 'localhost' },
    { name: 'plain http proxy', args: () => ['-x', `http://${h.proxy}`], url: () => target.url('/hello'), inbound: 'http', host: '127.0.0.1' },
    { name: 'http CONNECT', args: () => ['-p', '-x', `http://${h.proxy}`], url: () => target.url('/hello'), inbound: 'http-connect', host: '127.0.0.1' },
  ];
  it.each(cases)('$name', async ({ args, url, inbound, host }) => {
    const before = h.routed.length;
    const r = await curl([...args(), url()]);
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toBe('hello');
    expect(h.routed.length).toBe(before + 1);
    const meta = lastRouted();
    expect(meta).toMatchObject({ inbound, network: 'tcp', destination: { host, port: target.port }, source: { address: '127.0.0.1' } });
    expect(meta.id).toMatch(/^[0-9a-z]+-[0-9a-z]+$/);
  });
});

describe('bytes arrive intact', () => {
  it.each([
    ['socks5', () => ['--socks5-hostname', h.proxy]],
    ['http CONNECT', () => ['-p', '-x', `http://${h.proxy}`]],
    ['plain http', () => ['-x', `http://${h.proxy}`]],
  ])('downloads 50 MiB through %s', async (_name, args) => {
    const r = await curl([...args(), target.url(`/bytes/${BIG}`)], 60);
    expect(r.stderr).toBe('');
    expect(r.sha256).toBe(expectedSha256(BIG));
  });

  it.each([
    ['socks5', () => ['--socks5-hostname', h.proxy], []],
    ['http CONNECT', () => ['-p', '-x', `http://${h.proxy}`], []],
    ['plain http with content-length', () => ['-x', `http://${h.proxy}`], []],
    ['plain http, chunked', () => ['-x', `http://${h.proxy}`], ['-H', 'Transfer-Encoding: chunked']],
  ])('uploads 8 MiB through %s', async (_name, args, extra) => {
    const r = await curl([...args(), ...extra, '--data-binary', `@${uploadFile}`, target.url('/upload')], 60);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.toString())).toEqual({ bytes: UPLOAD_BYTES, sha256: uploadSha });
  });
});

describe('IPv6 target', () => {
  it('reaches [::1] through socks5 (ATYP 4) and CONNECT', async (ctx) => {
    if (!ipv6Target) return ctx.skip('::1 cannot be bound on this machine');
    const url = `http://[::1]:${ipv6Target.port}/hello`;
    const viaSocks = await curl(['--socks5', h.proxy, url]);
    expect(viaSocks.stdout.toString()).toBe('hello');
    expect(lastRouted()).toMatchObject({ inbound: 'socks5', destination: { host: '::1', port: ipv6Target.port } });
    const viaConnect = await curl(['-p', '-x', `http://${h.proxy}`, url]);
    expect(viaConnect.stdout.toString()).toBe('hello');
    expect(lastRouted()).toMatchObject({ inbound: 'http-connect', destination: { host: '::1', port: ipv6Target.port } });
    const viaPlain = await curl(['-x', `http://${h.proxy}`, url]);
    expect(viaPlain.stdout.toString()).toBe('hello');
    expect(lastRouted()).toMatchObject({ inbound: 'http', destination: { host: '::1', port: ipv6Target.port } });
  });
});

describe('node clients', () => {
  it('serves node:http through socks-proxy-agent (socks5h)', async () => {
    const agent = new SocksProxyAgent(`socks5h://${h.proxy}`);
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get(`http://localhost:${target.port}/bytes/100000`, { agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (d) => chunks.push(d));
          res.on('end', () => resolve(sha256(Buffer.concat(chunks))));
        })
        .on('error', reject);
    });
    agent.destroy();
    expect(body).toBe(expectedSha256(100000));
    expect(lastRouted()).toMatchObject({ inbound: 'socks5', destination: { host: 'localhost', port: target.port } });
  });
});

describe('plain HTTP keep-alive', () => {
  it('routes each request on one client connection separately (curl reuses the proxy connection)', async () => {
    const before = h.routed.length;
    const hits1 = target.hits.get('hello') ?? 0;
    const hits2 = target2.hits.get('bytes') ?? 0;
    const r = await curl(['-v', '-x', `http://${h.proxy}`, target.url('/hello'), target2.url('/bytes/10')]);
    expect(r.stdout.subarray(0, 5).toString()).toBe('hello');
    expect(r.stdout.length).toBe(15);
    expect(r.stderr).toMatch(/Re-using existing connection/i);
    const routed = h.routed.slice(before);
    expect(routed.map((m) => m.destination.port)).toEqual([target.port, target2.port]);
    expect(routed.every((m) => m.inbound === 'http')).toBe(true);
    expect(routed[0]!.source.port).toBe(routed[1]!.source.port);
    expect(routed[0]!.id).not.toBe(routed[1]!.id);
    expect(target.hits.get('hello')).toBe(hits1 + 1);
    expect(target2.hits.get('bytes')).toBe(hits2 + 1);
  });

  it('serves a node:http keep-alive agent: two targets, one socket', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (t: HttpTarget, p: string) =>
      new Promise<{ body: string; reused: boolean }>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: h.port, path: t.url(p), agent }, (res) => {
          let body = '';
          res.setEncoding('latin1');
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ body, reused: req.reusedSocket }));
        });
        req.on('error', reject);
      });
    const before = h.routed.length;
    const a = await get(target, '/hello');
    const b = await get(target2, '/hello');
    const c = await get(target, '/bytes/5');
    agent.destroy();
    expect([a.body, b.body, c.body.length]).toEqual(['hello', 'hello', 5]);
    expect([a.reused, b.reused, c.reused]).toEqual([false, true, true]);
    const routed = h.routed.slice(before);
    expect(routed.map((m) => m.destination.port)).toEqual([target.port, target2.port, target.port]);
    expect(new Set(routed.map((m) => m.source.port)).size).toBe(1);
  });
});

describe('plain HTTP rewriting', () => {
  let echo: http.Server;
  let echoPort: number;
  let seen: { url?: string; headers: string[] };
  beforeAll(async () => {
    echo = http.createServer((req, res) => {
      seen = { url: req.url, headers: req.rawHeaders };
      // A chunked response (no content-length) with hop-by-hop fields the proxy must not pass on.
      res.writeHead(200, { Connection: 'keep-alive, X-Hop', 'X-Hop': 'secret', 'Keep-Alive': 'timeout=5', 'X-End': 'kept' });
      res.write('part1-');
      setTimeout(() => res.end('part2'), 20);
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    echoPort = (echo.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => echo.close(() => r())));

  it('sends origin-form upstream without hop-by-hop headers and streams a chunked reply', async () => {
    const res = await new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: h.port,
          path: `http://127.0.0.1:${echoPort}/a/../b?q=1&r=%2F`,
          headers: { Host: `127.0.0.1:${echoPort}`, 'Proxy-Connection': 'keep-alive', Connection: 'X-Private', 'X-Private': 'drop me', TE: 'trailers', 'X-Keep': 'yes' },
        },
        (r) => {
          let body = '';
          r.on('data', (d) => (body += d));
          r.on('end', () => resolve({ status: r.statusCode!, headers: r.headers, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(200);
    expect(res.body).toBe('part1-part2');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['x-end']).toBe('kept');
    expect(res.headers['x-hop']).toBeUndefined();
    expect(seen.url).toBe('/a/../b?q=1&r=%2F');
    const names = seen.headers.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    expect(names).toContain('x-keep');
    expect(names).toContain('host');
    for (const hop of ['proxy-connection', 'x-private', 'te']) expect(names).not.toContain(hop);
    expect(seen.headers[seen.headers.findIndex((n) => n.toLowerCase() === 'connection') + 1]).toBe('close');
  });

  it('sends the request target as Host, whatever Host the client sent', async () => {
    const c = await RawClient.connect(h.port);
    c.write(`GET http://127.0.0.1:${echoPort}/h HTTP/1.1\r\nHost: elsewhere.test\r\nConnection: close\r\n\r\n`);
    await c.waitClosed();
    expect(c.received.toString()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(seen.headers).toEqual(expect.arrayContaining(['Host', `127.0.0.1:${echoPort}`]));
    expect(seen.headers).not.toContain('elsewhere.test');
  });

  it('answers HEAD without a body and keeps the connection usable', async () => {
    const c = await RawClient.connect(h.port);
    c.write(`HEAD ${target.url('/bytes/100')} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await c.waitForBytes(1);
    await new Promise((r) => setTimeout(r, 50));
    const head = c.received.toString();
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head).toMatch(/\r\ncontent-length: 100\r\n/i);
    expect(head.endsWith('\r\n\r\n')).toBe(true);
    c.write(`GET ${target.url('/hello')} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    await c.waitClosed();
    expect(c.received.toString().slice(head.length)).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nhello$/);
  });

  it('adds a Host header for an HTTP/1.0 client that sent none', async () => {
    const c = await RawClient.connect(h.port);
    c.write(`GET http://127.0.0.1:${echoPort}/old HTTP/1.0\r\n\r\n`);
    await c.waitClosed();
    expect(c.received.toString()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    // HTTP/1.0 cannot read chunked framing: the body is close-delimited.
    expect(c.received.toString()).toMatch(/\r\n\r\npart1-part2$/);
    expect(c.received.toString()).not.toMatch(/transfer-encoding/i);
    expect(seen.url).toBe('/old');
    expect(seen.headers).toEqual(expect.arrayContaining(['Host', `127.0.0.1:${echoPort}`]));
  });
});

describe('early data', () => {
  it('relays bytes a client sends right behind its CONNECT request', async () => {
    const c = await RawClient.connect(h.port);
    c.write(`CONNECT 127.0.0.1:${target.port} HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    await c.waitClosed();
    expect(c.received.toString()).toMatch(/^HTTP\/1\.1 200 Connection established\r\n\r\nHTTP\/1\.1 200 OK[\s\S]*\r\n\r\nhello$/);
  });

  it('relays bytes a client sends right behind its SOCKS4a request', async () => {
    const c = await RawClient.connect(h.port);
    const req = Buffer.concat([Buffer.from([0x04, 0x01, target.port >> 8, target.port & 0xff, 0, 0, 0, 1, 0x00]), Buffer.from('127.0.0.1\0')]);
    c.write(Buffer.concat([req, Buffer.from('GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]));
    await c.waitClosed();
    expect([...c.received.subarray(0, 8)]).toEqual([0x00, 0x5a, 0, 0, 0, 0, 0, 0]);
    expect(c.received.subarray(8).toString()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*hello$/);
  });
});

describe('byte counting', () => {
  it('counts a SOCKS5 tunnel exactly once, both ways, on the tracker and the outbound', async () => {
    const direct = h.stats.counter('DIRECT');
    const [up0, down0, total0] = [direct.up, direct.down, h.stats.total.down];
    const c = await RawClient.connect(h.port);
    c.write(SOCKS5_NO_AUTH_GREETING);
    await c.waitForBytes(2);
    c.write(socks5ConnectIPv4('127.0.0.1', target.port));
    await c.waitForBytes(12);
    expect([...c.received]).toEqual([0x05, 0x00, 0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
    const tracked = h.tracker.list().find((t) => t.meta.id === lastRouted().id)!;
    expect(tracked.snapshot()).toMatchObject({ inbound: 'socks5', chain: ['DIRECT'], rule: 'MATCH' });
    const request = `GET /bytes/70000 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;
    c.write(request);
    await c.waitClosed(5000);
    const payload = c.received.length - 12;
    expect(payload).toBeGreaterThan(70000);
    await waitUntil(() => tracked.isClosed, 3000, 'tracked connection finished');
    expect([tracked.up, tracked.down]).toEqual([request.length, payload]);
    expect([direct.up - up0, direct.down - down0, h.stats.total.down - total0]).toEqual([request.length, payload, payload]);
  });

  it('counts plain HTTP requests on their own tracked connections', async () => {
    const direct = h.stats.counter('DIRECT');
    const [down0, conns0] = [direct.down, direct.connections];
    const r = await curl(['-x', `http://${h.proxy}`, target.url('/bytes/30000'), target.url('/bytes/20000')]);
    expect(r.stdout.length).toBe(50000);
    expect(direct.connections - conns0).toBe(2);
    // Down is what the upstream sent: both bodies plus two response heads.
    expect(direct.down - down0).toBeGreaterThan(50000);
    expect(direct.down - down0).toBeLessThan(50000 + 1000);
    await waitUntil(() => h.tracker.size === 0, 3000, 'tracker empty');
  });
});

describe('handshake timer', () => {
  it('does not cut an established tunnel that outlives the handshake timeout', async () => {
    const c = await RawClient.connect(h.port);
    c.write(SOCKS5_NO_AUTH_GREETING);
    await c.waitForBytes(2);
    c.write(socks5ConnectIPv4('127.0.0.1', target.port));
    await c.waitForBytes(12);
    await new Promise((r) => setTimeout(r, 900)); // handshakeTimeoutMs is 400 in the harness
    c.write(`GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    await c.waitClosed();
    expect(c.received.subarray(12).toString()).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nhello$/);
  });
});
