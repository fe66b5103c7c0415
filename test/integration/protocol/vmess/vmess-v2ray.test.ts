import http from 'node:http';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVmess, vmessSchema, type VmessConfig } from '../../../../core/protocol/vmess/index.js';
import { ProxyError } from '../../../../core/adapter/errors.js';
import { takeReads } from '../../../../core/transport/tcp.js';
import { startHttpTarget, expectedSha256, type HttpTarget } from '../../../helpers/http-target.js';
import { createSelfSignedCert, type SelfSignedCert } from '../../../helpers/certs.js';
import { startV2ray, type RunningV2ray } from '../../../helpers/v2ray.js';
import { forwardThrough, stopAndGoDownload } from '../../../helpers/relay-forward.js';
import { dialContext, downloadThrough, failureOf, uploadThrough } from '../vless/transfer.js';

const UUID = '5783a3e7-e373-51cd-8642-c83782b807c5';
const OTHER_UUID = '0a6d5c8e-4e5b-4f0b-9a52-3f5e9c6b2d11';
const MiB = 1024 * 1024;
const SIZE = 20 * MiB;

type Server = 'tcp' | 'ws' | 'tls' | 'wss';
let target: HttpTarget;
let cert: SelfSignedCert;
const servers = {} as Record<Server, RunningV2ray>;

beforeAll(async () => {
  [target, cert] = await Promise.all([startHttpTarget(), createSelfSignedCert()]);
  const tlsSettings = { certificates: [{ certificateFile: cert.certFile, keyFile: cert.keyFile }] };
  // v2ray's built-in handshake limit is 60 s; 4 s is the value its docs give for a configured level.
  const policy = { policy: { levels: { 0: { handshake: 4 } } } };
  const inbound = (streamSettings: Record<string, unknown>) => ({
    protocol: 'vmess',
    settings: { clients: [{ id: UUID, alterId: 0 }] },
    streamSettings,
  });
  const [tcp, ws, tls, wss] = await Promise.all([
    startV2ray(inbound({ network: 'tcp' }), policy),
    startV2ray(inbound({ network: 'ws', wsSettings: { path: '/vm' } }), policy),
    startV2ray(inbound({ network: 'tcp', security: 'tls', tlsSettings }), policy),
    startV2ray(inbound({ network: 'ws', security: 'tls', tlsSettings, wsSettings: { path: '/vm' } }), policy),
  ]);
  Object.assign(servers, { tcp, ws, tls, wss });
});

afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  await Promise.all([target?.close(), cert?.remove()]);
});

function profile(server: Server, extra: Record<string, unknown> = {}): VmessConfig {
  const transport = {
    tcp: {},
    ws: { network: 'ws', 'ws-opts': { path: '/vm' } },
    tls: { tls: true, servername: 'localhost' },
    wss: { tls: true, servername: 'localhost', network: 'ws', 'ws-opts': { path: '/vm' } },
  }[server];
  return vmessSchema.parse({
    name: `vmess-${server}`,
    type: 'vmess',
    server: '127.0.0.1',
    port: servers[server].port,
    uuid: UUID,
    alterId: 0,
    ...transport,
    ...extra,
  });
}

const dest = () => ({ host: '127.0.0.1', port: target.port });

describe.each(['tcp', 'ws', 'tls', 'wss'] as const)('VMess AEAD over %s against v2ray 4.34', (server) => {
  it.each(['aes-128-gcm', 'chacha20-poly1305', 'none'] as const)('%s: 20 MiB down and 20 MiB up intact', async (cipher) => {
    const out = createVmess(profile(server, { cipher }), { ca: cert.cert });
    const down = await downloadThrough(await out.dial(dest(), dialContext('127.0.0.1', target.port)), target.port, SIZE);
    expect(down.status).toBe(200);
    expect(down.bytes).toBe(SIZE);
    expect(down.sha256).toBe(expectedSha256(SIZE));
    const up = await uploadThrough(await out.dial(dest(), dialContext('127.0.0.1', target.port)), target.port, SIZE);
    expect(up).toEqual({ bytes: SIZE, sha256: expectedSha256(SIZE) });
  });

  // v2ray does not close on an unknown AuthID: it keeps reading (up to ~3.3 KB) until its handshake limit.
  it('fails a wrong uuid with UPSTREAM_AUTH_FAILED when the server gives up the handshake', async () => {
    const out = createVmess(profile(server, { uuid: OTHER_UUID }), { ca: cert.cert });
    const stream = await out.dial(dest(), dialContext('127.0.0.1', target.port));
    stream.write(`GET /hello HTTP/1.1\r\nHost: x\r\n\r\n`);
    const started = Date.now();
    const err = await failureOf(stream, 15_000);
    expect(err).toBeInstanceOf(ProxyError);
    expect((err as ProxyError).code).toBe('UPSTREAM_AUTH_FAILED');
    expect((err as ProxyError).outbound).toBe(`vmess-${server}`);
    expect(err.message).not.toContain(OTHER_UUID);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('VMess destinations and failures', () => {
  it('fails a wrong uuid with UPSTREAM_AUTH_FAILED as soon as v2ray has drained enough bytes and resets', async () => {
    const out = createVmess(profile('tcp', { uuid: OTHER_UUID }));
    const stream = await out.dial(dest(), dialContext('127.0.0.1', target.port));
    stream.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n`);
    stream.write(Buffer.alloc(65536, 1));
    const started = Date.now();
    const err = await failureOf(stream, 10_000);
    expect((err as ProxyError).code).toBe('UPSTREAM_AUTH_FAILED');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('carries a domain destination with cipher auto', async () => {
    const out = createVmess(profile('tcp', { cipher: 'auto' }));
    const stream = await out.dial({ host: 'localhost', port: target.port }, dialContext('localhost', target.port));
    expect((await downloadThrough(stream, target.port, MiB)).sha256).toBe(expectedSha256(MiB));
  });

  it('ends both directions cleanly: our end-of-stream chunk lets the server finish the request', async () => {
    const out = createVmess(profile('tcp'));
    const stream = await out.dial(dest(), dialContext('127.0.0.1', target.port));
    const chunks: Buffer[] = [];
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.end(`GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    await new Promise((resolve, reject) => {
      stream.once('end', resolve);
      stream.once('error', reject);
    });
    const text = Buffer.concat(chunks).toString();
    expect(text).toMatch(/^HTTP\/1\.1 200/);
    expect(text.endsWith('hello')).toBe(true);
  });

  it('rejects a certificate that does not match servername with TLS_FAILED', async () => {
    for (const server of ['tls', 'wss'] as const) {
      const out = createVmess(profile(server, { servername: 'wrong.example' }), { ca: cert.cert });
      const err = await out.dial(dest(), dialContext('127.0.0.1', target.port)).catch((e) => e);
      expect(err).toBeInstanceOf(ProxyError);
      expect(err.code).toBe('TLS_FAILED');
      expect(err.outbound).toBe(`vmess-${server}`);
    }
  });

  it('reports the 404 v2ray answers on a wrong WebSocket path as WS_HANDSHAKE_FAILED', async () => {
    for (const server of ['ws', 'wss'] as const) {
      const out = createVmess(profile(server, { 'ws-opts': { path: '/wrong' } }), { ca: cert.cert });
      const err = await out.dial(dest(), dialContext('127.0.0.1', target.port)).catch((e) => e);
      expect(err).toBeInstanceOf(ProxyError);
      expect(err.code).toBe('WS_HANDSHAKE_FAILED');
      expect(err.message).toContain('HTTP 404');
    }
  });
});

describe('VMess through the router and relay', () => {
  it('tcp: the relay takes the plaintext straight from the reader (takeReads); over wss it does not', async () => {
    for (const [server, expected] of [['tcp', true], ['wss', false]] as const) {
      const outbound = createVmess(profile(server), { ca: cert.cert });
      const stream = await outbound.dial(dest(), dialContext('127.0.0.1', target.port));
      expect(takeReads(stream, () => true)).toBe(expected);
      stream.destroy();
    }
  });

  it('tcp: a client that keeps stopping to read gets 20 MiB intact (the reader reuses one plaintext buffer)', async () => {
    const { port, forward } = await forwardThrough(createVmess(profile('tcp'), { ca: cert.cert }), dest);
    try {
      expect(await stopAndGoDownload(port, SIZE)).toEqual({ bytes: SIZE, sha256: expectedSha256(SIZE) });
    } finally {
      forward.close();
    }
  });

  it.each(['tcp', 'wss'] as const)('%s: a plain HTTP client gets 20 MiB through dispatcher → relay → vmess, counted and closed', async (server) => {
    const { port, forward, tracker } = await forwardThrough(createVmess(profile(server, { cipher: 'auto' }), { ca: cert.cert }), dest);
    try {
      const sha = await new Promise<string>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: `/bytes/${SIZE}`, agent: false }, (res) => {
            const h = crypto.createHash('sha256');
            res.on('data', (d) => h.update(d));
            res.on('end', () => resolve(h.digest('hex')));
            res.on('error', reject);
          })
          .on('error', reject);
      });
      expect(sha).toBe(expectedSha256(SIZE));
      expect(tracker.stats.counter(`vmess-${server}`).down).toBeGreaterThanOrEqual(SIZE);
      // Both sides wind down on their own: the relay finishes and the tracker lets go of the connection.
      for (let i = 0; i < 100 && tracker.size > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(tracker.size).toBe(0);
    } finally {
      forward.close();
    }
  });
});

