import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVless, vlessSchema, type VlessConfig } from '../../../../core/protocol/vless/index.js';
import { ProxyError } from '../../../../core/adapter/errors.js';
import { startHttpTarget, expectedSha256, type HttpTarget } from '../../../helpers/http-target.js';
import { createSelfSignedCert, type SelfSignedCert } from '../../../helpers/certs.js';
import { startV2ray, type RunningV2ray } from '../../../helpers/v2ray.js';
import { dialContext, downloadThrough, failureOf, uploadThrough } from './transfer.js';

const UUID = 'b831381d-6324-4d53-ad4f-8cda48b30811';
const OTHER_UUID = '27848739-7e62-4138-9fd3-098a63964b6b';
const MiB = 1024 * 1024;

let target: HttpTarget;
let target6: HttpTarget;
let cert: SelfSignedCert;
const servers: Record<string, RunningV2ray> = {};

const vlessInbound = (streamSettings: Record<string, unknown>) => ({
  protocol: 'vless',
  settings: { clients: [{ id: UUID }], decryption: 'none' },
  streamSettings,
});

beforeAll(async () => {
  [target, target6, cert] = await Promise.all([startHttpTarget(), startHttpTarget('::1'), createSelfSignedCert()]);
  const tlsSettings = { certificates: [{ certificateFile: cert.certFile, keyFile: cert.keyFile }] };
  const [tcp, tls, wss] = await Promise.all([
    startV2ray(vlessInbound({ network: 'tcp' })),
    startV2ray(vlessInbound({ network: 'tcp', security: 'tls', tlsSettings })),
    startV2ray(vlessInbound({ network: 'ws', security: 'tls', tlsSettings, wsSettings: { path: '/vl' } })),
  ]);
  Object.assign(servers, { tcp, tls, wss });
});

afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  await Promise.all([target?.close(), target6?.close(), cert?.remove()]);
});

function profile(server: keyof typeof servers, extra: Record<string, unknown> = {}): VlessConfig {
  const transport =
    server === 'tcp'
      ? {}
      : server === 'tls'
        ? { tls: true, servername: 'localhost' }
        : { tls: true, servername: 'localhost', network: 'ws', 'ws-opts': { path: '/vl' } };
  return vlessSchema.parse({ name: `vless-${server}`, type: 'vless', server: '127.0.0.1', port: servers[server]!.port, uuid: UUID, ...transport, ...extra });
}

describe.each(['tcp', 'tls', 'wss'] as const)('VLESS over %s against v2ray 4.34', (server) => {
  it('downloads 20 MiB intact', async () => {
    const out = createVless(profile(server), { ca: cert.cert });
    const stream = await out.dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port));
    const res = await downloadThrough(stream, target.port, 20 * MiB);
    expect(res.status).toBe(200);
    expect(res.bytes).toBe(20 * MiB);
    expect(res.sha256).toBe(expectedSha256(20 * MiB));
  });

  it('uploads 20 MiB intact', async () => {
    const out = createVless(profile(server), { ca: cert.cert });
    const stream = await out.dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port));
    const res = await uploadThrough(stream, target.port, 20 * MiB);
    expect(res).toEqual({ bytes: 20 * MiB, sha256: expectedSha256(20 * MiB) });
  });

  it('fails a wrong uuid with UPSTREAM_AUTH_FAILED instead of hanging', async () => {
    const out = createVless(profile(server, { uuid: OTHER_UUID }), { ca: cert.cert });
    const stream = await out.dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port));
    stream.write(`GET /hello HTTP/1.1\r\nHost: x\r\n\r\n`);
    const err = await failureOf(stream, 10_000);
    expect(err).toBeInstanceOf(ProxyError);
    expect((err as ProxyError).code).toBe('UPSTREAM_AUTH_FAILED');
    expect((err as ProxyError).outbound).toBe(`vless-${server}`);
    expect(err.message).not.toContain(OTHER_UUID);
  });
});

describe('VLESS destinations and failures', () => {
  it('carries a domain destination (localhost, resolved by the server)', async () => {
    const out = createVless(profile('tcp'));
    const stream = await out.dial({ host: 'localhost', port: target.port }, dialContext('localhost', target.port));
    const res = await downloadThrough(stream, target.port, 1 * MiB);
    expect(res.sha256).toBe(expectedSha256(1 * MiB));
  });

  it('carries an IPv6 destination (::1)', async () => {
    const out = createVless(profile('tcp'));
    const stream = await out.dial({ host: '::1', port: target6.port }, dialContext('::1', target6.port));
    const res = await downloadThrough(stream, target6.port, 1 * MiB);
    expect(res.sha256).toBe(expectedSha256(1 * MiB));
  });

  it('rejects a certificate that does not match servername with TLS_FAILED', async () => {
    const out = createVless(profile('tls', { servername: 'wrong.example' }), { ca: cert.cert });
    const err = await out.dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port)).catch((e) => e);
    expect(err).toBeInstanceOf(ProxyError);
    expect(err.code).toBe('TLS_FAILED');
    expect(err.outbound).toBe('vless-tls');
  });

  it('rejects the self-signed certificate without skip-cert-verify, accepts it with', async () => {
    const strict = createVless(profile('tls'));
    const err = await strict.dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port)).catch((e) => e);
    expect(err.code).toBe('TLS_FAILED');
    const lax = createVless(profile('tls', { 'skip-cert-verify': true }));
    const stream = await lax.dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port));
    expect((await downloadThrough(stream, target.port, 1000)).sha256).toBe(expectedSha256(1000));
  });

  it('reports the 404 v2ray answers on a wrong WebSocket path as WS_HANDSHAKE_FAILED', async () => {
    const out = createVless(profile('wss', { 'ws-opts': { path: '/nope' } }), { ca: cert.cert });
    const err = await out.dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port)).catch((e) => e);
    expect(err).toBeInstanceOf(ProxyError);
    expect(err.code).toBe('WS_HANDSHAKE_FAILED');
    expect(err.message).toContain('404');
    expect(err.outbound).toBe('vless-wss');
  });

  it('gives up a TLS handshake the server never answers with TIMEOUT', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const cfg = vlessSchema.parse({ name: 'silent', type: 'vless', server: '127.0.0.1', port, uuid: UUID, tls: true, servername: 'localhost' });
      const started = Date.now();
      const err = await createVless(cfg, { connectTimeoutMs: 500 })
        .dial({ host: '127.0.0.1', port: target.port }, dialContext('127.0.0.1', target.port))
        .catch((e) => e);
      expect(err).toBeInstanceOf(ProxyError);
      expect(err.code).toBe('TIMEOUT');
      expect(err.outbound).toBe('silent');
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      silent.close();
    }
  });
});
