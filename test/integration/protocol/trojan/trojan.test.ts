import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrojan, trojanSchema, type TrojanConfig } from '../../../../core/protocol/trojan/index.js';
import { ProxyError } from '../../../../core/adapter/errors.js';
import { startHttpTarget, expectedSha256, type HttpTarget } from '../../../helpers/http-target.js';
import { createSelfSignedCert, type SelfSignedCert } from '../../../helpers/certs.js';
import { startV2ray, type RunningV2ray } from '../../../helpers/v2ray.js';
import { freePort } from '../../../helpers/ports.js';
import { startProcess, type RunningProcess } from '../../../helpers/processes.js';
import { dialContext, downloadThrough, failureOf, readHttpResponse, uploadThrough } from '../vless/transfer.js';

const PASSWORD = 'correct horse battery staple';
const MiB = 1024 * 1024;
const SIZE = 20 * MiB;

type Server = 'v2ray-tls' | 'v2ray-wss' | 'trojan-gfw' | 'trojan-gfw-no-fallback';
let target: HttpTarget;
let cert: SelfSignedCert;
let dir: string;
const servers = {} as Record<Server, { port: number; stop(): Promise<void>; output(): string }>;

/** The Debian trojan (trojan-gfw 1.16) server; anything that is not Trojan goes to remote_addr:remote_port. */
async function startTrojanGfw(remotePort: number): Promise<RunningProcess & { port: number }> {
  const port = await freePort();
  const file = path.join(dir, `trojan-${port}.json`);
  await writeFile(
    file,
    JSON.stringify({
      run_type: 'server',
      local_addr: '127.0.0.1',
      local_port: port,
      remote_addr: '127.0.0.1',
      remote_port: remotePort,
      password: [PASSWORD],
      log_level: 2,
      ssl: { cert: cert.certFile, key: cert.keyFile, alpn: ['http/1.1'] },
      tcp: { no_delay: true },
    }),
  );
  return Object.assign(await startProcess('trojan', ['-c', file], port), { port });
}

beforeAll(async () => {
  [target, cert, dir] = await Promise.all([startHttpTarget(), createSelfSignedCert(), mkdtemp(path.join(os.tmpdir(), 'switchyard-trojan-'))]);
  const tlsSettings = { certificates: [{ certificateFile: cert.certFile, keyFile: cert.keyFile }] };
  const inbound = (streamSettings: Record<string, unknown>) => ({
    protocol: 'trojan',
    settings: { clients: [{ password: PASSWORD }] },
    streamSettings,
  });
  const closedPort = await freePort();
  const [tls, wss, gfw, gfwNoFallback]: [RunningV2ray, RunningV2ray, RunningProcess & { port: number }, RunningProcess & { port: number }] = await Promise.all([
    startV2ray(inbound({ network: 'tcp', security: 'tls', tlsSettings })),
    startV2ray(inbound({ network: 'ws', security: 'tls', tlsSettings, wsSettings: { path: '/tj' } })),
    startTrojanGfw(target.port),
    startTrojanGfw(closedPort),
  ]);
  Object.assign(servers, { 'v2ray-tls': tls, 'v2ray-wss': wss, 'trojan-gfw': gfw, 'trojan-gfw-no-fallback': gfwNoFallback });
});

afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  await Promise.all([target?.close(), cert?.remove(), dir && rm(dir, { recursive: true, force: true })]);
});

function profile(server: Server, extra: Record<string, unknown> = {}): TrojanConfig {
  const ws = server === 'v2ray-wss' ? { network: 'ws', 'ws-opts': { path: '/tj' } } : {};
  return trojanSchema.parse({ name: server, type: 'trojan', server: '127.0.0.1', port: servers[server].port, password: PASSWORD, sni: 'localhost', ...ws, ...extra });
}

const dest = () => ({ host: '127.0.0.1', port: target.port });

describe.each(['v2ray-tls', 'v2ray-wss', 'trojan-gfw'] as const)('Trojan against %s', (server) => {
  it('downloads 20 MiB intact', async () => {
    const out = createTrojan(profile(server), { ca: cert.cert });
    const res = await downloadThrough(await out.dial(dest(), dialContext('127.0.0.1', target.port)), target.port, SIZE);
    expect(res.status).toBe(200);
    expect(res.bytes).toBe(SIZE);
    expect(res.sha256).toBe(expectedSha256(SIZE));
  });

  it('uploads 20 MiB intact', async () => {
    const out = createTrojan(profile(server), { ca: cert.cert });
    const res = await uploadThrough(await out.dial(dest(), dialContext('127.0.0.1', target.port)), target.port, SIZE);
    expect(res).toEqual({ bytes: SIZE, sha256: expectedSha256(SIZE) });
  });
});

describe('Trojan failures', () => {
  it.each(['v2ray-tls', 'v2ray-wss', 'trojan-gfw-no-fallback'] as const)('%s: a wrong password fails with UPSTREAM_AUTH_FAILED', async (server) => {
    const out = createTrojan(profile(server, { password: 'wrong password' }), { ca: cert.cert });
    const stream = await out.dial(dest(), dialContext('127.0.0.1', target.port));
    stream.write(`GET /hello HTTP/1.1\r\nHost: x\r\n\r\n`);
    const err = await failureOf(stream, 10_000);
    expect(err).toBeInstanceOf(ProxyError);
    expect((err as ProxyError).code).toBe('UPSTREAM_AUTH_FAILED');
    expect((err as ProxyError).outbound).toBe(server);
    expect(err.message).not.toContain('wrong password');
  });

  it('trojan-gfw hands a wrong password to its fallback (remote_addr), which answers instead of the destination', async () => {
    // By design trojan-gfw looks like a web server to anyone without the password, so there is no refusal to see.
    const out = createTrojan(profile('trojan-gfw', { password: 'wrong password' }), { ca: cert.cert });
    const stream = await out.dial({ host: '127.0.0.1', port: 9 }, dialContext('127.0.0.1', 9));
    const answer = readHttpResponse(stream, 10_000);
    stream.write(`GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect((await answer).status).toBe(400); // the target's HTTP parser rejects the Trojan request line
  });

  it('rejects a certificate that does not match sni with TLS_FAILED', async () => {
    for (const server of ['v2ray-tls', 'v2ray-wss', 'trojan-gfw'] as const) {
      const out = createTrojan(profile(server, { sni: 'wrong.example' }), { ca: cert.cert });
      const err = await out.dial(dest(), dialContext('127.0.0.1', target.port)).catch((e) => e);
      expect(err).toBeInstanceOf(ProxyError);
      expect(err.code).toBe('TLS_FAILED');
      expect(err.outbound).toBe(server);
    }
  });

  it('accepts the self-signed certificate with skip-cert-verify', async () => {
    const out = createTrojan(profile('trojan-gfw', { 'skip-cert-verify': true }));
    const res = await downloadThrough(await out.dial(dest(), dialContext('127.0.0.1', target.port)), target.port, 1000);
    expect(res.sha256).toBe(expectedSha256(1000));
  });

  it('reports the 404 v2ray answers on a wrong WebSocket path as WS_HANDSHAKE_FAILED', async () => {
    const out = createTrojan(profile('v2ray-wss', { 'ws-opts': { path: '/wrong' } }), { ca: cert.cert });
    const err = await out.dial(dest(), dialContext('127.0.0.1', target.port)).catch((e) => e);
    expect(err).toBeInstanceOf(ProxyError);
    expect(err.code).toBe('WS_HANDSHAKE_FAILED');
    expect(err.message).toContain('HTTP 404');
  });
});
