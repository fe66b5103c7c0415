/**
 * Our client against the TEST-ONLY minimal server (minimal-ss-server.ts): the only SIP022 server available
 * here, and a server we can make misbehave on purpose (garbage, silent close, truncation, bad 2022 headers).
 */
import crypto from 'node:crypto';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShadowsocks, shadowsocksSchema, type ShadowsocksOptions } from '../../../../core/protocol/shadowsocks/index.js';
import type { Transport } from '../../../../core/adapter/transport.js';
import { tcpTransport } from '../../../../core/transport/tcp.js';
import { wsTransport } from '../../../../core/transport/ws.js';
import { ProxyError } from '../../../../core/adapter/errors.js';
import { startHttpTarget, expectedSha256, type HttpTarget } from '../../../helpers/http-target.js';
import { dialContext, downloadThrough, failureOf, readHttpResponse, uploadThrough } from '../vless/transfer.js';
import { startMinimalSsServer, type MinimalServer, type MinimalServerOptions, type Misbehaviour } from './minimal-ss-server.js';

const PSK16 = crypto.randomBytes(16).toString('base64');
const PSK32 = crypto.randomBytes(32).toString('base64');
const MiB = 1024 * 1024;

const SERVERS: { cipher: MinimalServerOptions['cipher']; password: string }[] = [
  { cipher: '2022-blake3-aes-128-gcm', password: PSK16 },
  { cipher: '2022-blake3-aes-256-gcm', password: PSK32 },
  { cipher: 'aes-128-gcm', password: 'minimal-aead-password' },
];

let target: HttpTarget;
let target6: HttpTarget;
const open: MinimalServer[] = [];

beforeAll(async () => {
  [target, target6] = await Promise.all([startHttpTarget(), startHttpTarget('::1')]);
});

afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
  await Promise.all([target?.close(), target6?.close()]);
});

async function server(opts: MinimalServerOptions): Promise<MinimalServer> {
  const s = await startMinimalSsServer(opts);
  open.push(s);
  return s;
}

function outbound(port: number, cipher: string, password: string, options?: ShadowsocksOptions) {
  return createShadowsocks(shadowsocksSchema.parse({ name: 'mini', type: 'ss', server: '127.0.0.1', port, cipher, password }), options);
}

/** Records the transport streams under our Shadowsocks streams, to act on them from below. */
function recordingTransport(inner: Transport = tcpTransport): { transport: Transport; streams: Duplex[] } {
  const streams: Duplex[] = [];
  return {
    streams,
    transport: {
      kind: inner.kind,
      connect: async (t, o) => {
        const s = await inner.connect(t, o);
        streams.push(s);
        return s;
      },
    },
  };
}

/** A TCP target that collects what it receives and, on our FIN, answers `reply` and ends. */
async function halfCloseTarget(reply: string): Promise<{ port: number; received: Promise<string>; closed: Promise<void>; server: net.Server }> {
  let resolveReceived!: (s: string) => void;
  let resolveClosed!: () => void;
  const received = new Promise<string>((r) => (resolveReceived = r));
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const srv = net.createServer({ allowHalfOpen: true }, (sock) => {
    let got = '';
    sock.on('data', (d) => (got += d));
    sock.on('end', () => {
      resolveReceived(got);
      sock.end(reply);
    });
    sock.on('close', () => resolveClosed());
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, received, closed, server: srv };
}

function readAll(stream: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    stream.on('data', (d) => (s += d));
    stream.once('end', () => resolve(s));
    stream.once('error', reject);
  });
}

describe.each(SERVERS)('minimal server $cipher', ({ cipher, password }) => {
  it('downloads and uploads 4 MiB with the right hashes; the server saw the target (and 2022 padding, time)', async () => {
    const srv = await server({ cipher, password });
    const out = outbound(srv.port, cipher, password);
    const down = await downloadThrough(await out.dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port)), target.port, 4 * MiB);
    expect(down).toMatchObject({ status: 200, bytes: 4 * MiB, sha256: expectedSha256(4 * MiB) });
    const up = await uploadThrough(await out.dial({ host: 'localhost', port: target.port }, dialContext('localhost', target.port)), target.port, 4 * MiB);
    expect(up).toEqual({ bytes: 4 * MiB, sha256: expectedSha256(4 * MiB) });
    expect(srv.errors).toEqual([]);
    expect(srv.seen.map((s) => `${s.host}:${s.port}`)).toEqual([`127.0.0.1:${target.port}`, `localhost:${target.port}`]);
    if (cipher.startsWith('2022-')) {
      for (const s of srv.seen) {
        expect(s.paddingLength).toBeGreaterThanOrEqual(1);
        expect(s.paddingLength).toBeLessThanOrEqual(900);
        expect(Math.abs(s.timestamp! - Date.now() / 1000)).toBeLessThan(5);
      }
    }
  });

  it('reaches an IPv6 target', async () => {
    const srv = await server({ cipher, password });
    const stream = await outbound(srv.port, cipher, password).dial({ host: '::1', port: target6.port }, dialContext('::1', target6.port));
    expect(await downloadThrough(stream, target6.port, 100_000)).toMatchObject({ status: 200, sha256: expectedSha256(100_000) });
    expect(srv.seen[0]).toMatchObject({ host: '0:0:0:0:0:0:0:1', port: target6.port });
  });

  it('half-closes: our end reaches the target, its reply and end come back', async () => {
    const srv = await server({ cipher, password });
    const t = await halfCloseTarget('pong after your FIN');
    try {
      const stream = await outbound(srv.port, cipher, password).dial({ host: '127.0.0.1', port: t.port }, dialContext('127.0.0.1', t.port));
      const reply = readAll(stream);
      stream.end('ping');
      expect(await t.received).toBe('ping');
      expect(await reply).toBe('pong after your FIN');
    } finally {
      t.server.close();
    }
  });

  it('destroying our stream closes the transport and the target connection', async () => {
    const srv = await server({ cipher, password });
    const t = await halfCloseTarget('unused');
    const rec = recordingTransport();
    try {
      const stream = await outbound(srv.port, cipher, password, { transport: rec.transport }).dial({ host: '127.0.0.1', port: t.port }, dialContext('127.0.0.1', t.port));
      stream.write('hello');
      await new Promise((r) => setTimeout(r, 100));
      stream.destroy();
      expect(rec.streams[0]!.destroyed).toBe(true);
      await t.closed;
    } finally {
      t.server.close();
    }
  });

  it('a transport destroyed under us mid-download fails the stream with UPSTREAM_CLOSED', async () => {
    const srv = await server({ cipher, password });
    const rec = recordingTransport();
    const stream = await outbound(srv.port, cipher, password, { transport: rec.transport }).dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port));
    stream.write(`GET /bytes/${64 * MiB} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await new Promise<void>((r) => stream.once('data', () => r()));
    const failure = failureOf(stream, 5000);
    rec.streams[0]!.destroy();
    await expect(failure).resolves.toMatchObject({ code: 'UPSTREAM_CLOSED', outbound: 'mini' });
  });

  it('keeps backpressure: a paused reader stops the transport, and nothing is lost', async () => {
    const srv = await server({ cipher, password });
    const rec = recordingTransport();
    const stream = await outbound(srv.port, cipher, password, { transport: rec.transport }).dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port));
    const size = 16 * MiB;
    stream.write(`GET /bytes/${size} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 400)); // nobody reads: buffers fill up and stay bounded
    expect(stream.readableLength).toBeLessThanOrEqual(64 * 1024 + 0x10000);
    // The socket stopped reading (paused, or its direct reads held): nothing more arrives while we wait.
    const socket = rec.streams[0] as net.Socket;
    const read = socket.bytesRead;
    await new Promise((r) => setTimeout(r, 200));
    expect(socket.bytesRead).toBe(read);
    expect(read).toBeLessThan(size / 2);
    expect(await readHttpResponse(stream)).toMatchObject({ status: 200, bytes: size, sha256: expectedSha256(size) });
  });

  it('keeps write backpressure: a target that does not read makes write() return false, then all arrives', async () => {
    const srv = await server({ cipher, password });
    const block = crypto.createHash('sha512').update('x').digest();
    const piece = Buffer.concat(Array.from({ length: 1024 }, () => block)); // 64 KiB
    const pieces = 256; // 16 MiB
    let sink: net.Socket | undefined;
    const hash = crypto.createHash('sha256');
    let got = 0;
    const t = net.createServer({ allowHalfOpen: true }, (sock) => {
      sink = sock;
      sock.pause();
      sock.on('data', (d) => {
        hash.update(d);
        got += d.length;
      });
      sock.on('end', () => sock.end(`got ${got}`));
    });
    await new Promise<void>((r) => t.listen(0, '127.0.0.1', r));
    try {
      const port = (t.address() as net.AddressInfo).port;
      const stream = await outbound(srv.port, cipher, password).dial({ host: '127.0.0.1', port }, dialContext('127.0.0.1', port));
      const reply = readAll(stream);
      let refusals = 0;
      for (let i = 0; i < pieces; i++) {
        if (stream.write(piece)) continue;
        // Our buffer stays near its high-water mark instead of taking everything we offer.
        expect(stream.writableLength).toBeLessThanOrEqual(128 * 1024);
        if (refusals++ === 0) setTimeout(() => sink!.resume(), 300);
        await new Promise((r) => stream.once('drain', r));
      }
      stream.end();
      expect(refusals).toBeGreaterThan(0);
      expect(await reply).toBe(`got ${pieces * piece.length}`);
      const expected = crypto.createHash('sha256');
      for (let i = 0; i < pieces; i++) expected.update(piece);
      expect(hash.digest('hex')).toBe(expected.digest('hex'));
    } finally {
      t.close();
    }
  });
});

describe('broken servers', () => {
  const key = (cipher: string) => (cipher === '2022-blake3-aes-128-gcm' ? PSK16 : cipher === '2022-blake3-aes-256-gcm' ? PSK32 : 'pw');
  const cases: { misbehave: Misbehaviour; cipher: MinimalServerOptions['cipher']; code: string }[] = [
    { misbehave: 'garbage', cipher: 'aes-128-gcm', code: 'UPSTREAM_AUTH_FAILED' },
    { misbehave: 'garbage', cipher: '2022-blake3-aes-128-gcm', code: 'UPSTREAM_AUTH_FAILED' },
    { misbehave: 'close-silently', cipher: 'aes-128-gcm', code: 'UPSTREAM_AUTH_FAILED' },
    { misbehave: 'close-silently', cipher: '2022-blake3-aes-256-gcm', code: 'UPSTREAM_AUTH_FAILED' },
    { misbehave: 'truncate', cipher: 'aes-128-gcm', code: 'UPSTREAM_CLOSED' },
    { misbehave: 'truncate', cipher: '2022-blake3-aes-128-gcm', code: 'UPSTREAM_CLOSED' },
    { misbehave: 'wrong-salt-echo', cipher: '2022-blake3-aes-128-gcm', code: 'UPSTREAM_PROTOCOL' },
    { misbehave: 'old-timestamp', cipher: '2022-blake3-aes-128-gcm', code: 'UPSTREAM_PROTOCOL' },
    { misbehave: 'wrong-type', cipher: '2022-blake3-aes-256-gcm', code: 'UPSTREAM_PROTOCOL' },
  ];
  it.each(cases)('$misbehave ($cipher) → $code, at once', async ({ misbehave, cipher, code }) => {
    const password = key(cipher);
    const srv = await server({ cipher, password, misbehave });
    const started = Date.now();
    const stream = await outbound(srv.port, cipher, password).dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port));
    const failure = failureOf(stream, 5000);
    stream.write(`GET /bytes/${MiB} HTTP/1.1\r\nHost: x\r\n\r\n`);
    const err = await failure;
    expect(err).toBeInstanceOf(ProxyError);
    expect(err).toMatchObject({ code, outbound: 'mini' });
    if (code === 'UPSTREAM_AUTH_FAILED') expect(err.message).toMatch(/wrong password or cipher\?/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('a wrong 2022 PSK is refused by the server and surfaces as UPSTREAM_AUTH_FAILED', async () => {
    const srv = await server({ cipher: '2022-blake3-aes-128-gcm', password: PSK16 });
    const stream = await outbound(srv.port, '2022-blake3-aes-128-gcm', crypto.randomBytes(16).toString('base64')).dial(
      { host: '127.0.0.1', port: target.port },
      dialContext('127.0.0.1', target.port),
    );
    await expect(failureOf(stream, 5000)).resolves.toMatchObject({ code: 'UPSTREAM_AUTH_FAILED' });
    expect(srv.errors).toEqual(['authentication failed']);
  });
});

describe('transport independence', () => {
  it('carries SIP022 over a WebSocket transport unchanged', async () => {
    const srv = await server({ cipher: '2022-blake3-aes-128-gcm', password: PSK16 });
    // A WebSocket front that pipes each connection to the minimal server's TCP port.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    wss.on('connection', (ws) => {
      const front = createWebSocketStream(ws, { allowHalfOpen: true });
      const back = net.connect({ host: '127.0.0.1', port: srv.port, allowHalfOpen: true });
      front.pipe(back).pipe(front);
      front.on('error', () => back.destroy());
      back.on('error', () => front.destroy());
    });
    try {
      const out = createShadowsocks(
        shadowsocksSchema.parse({ name: 'mini-ws', type: 'ss', server: '127.0.0.1', port: (wss.address() as net.AddressInfo).port, cipher: '2022-blake3-aes-128-gcm', password: PSK16 }),
        { transport: wsTransport({ path: '/ss' }) },
      );
      const stream = await out.dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port));
      expect(await downloadThrough(stream, target.port, 2 * MiB)).toMatchObject({ status: 200, sha256: expectedSha256(2 * MiB) });
    } finally {
      for (const c of wss.clients) c.terminate();
      wss.close();
    }
  });
});
