import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../core/engine.js';
import { loadProfile } from '../../../core/config/load.js';
import { createProtocolRegistry } from '../../../core/protocol/index.js';
import { createLogger } from '../../../core/logger.js';
import { startHttpTarget, type HttpTarget } from '../../helpers/http-target.js';
import { startMicrosocks, type ReferenceServer } from '../../helpers/reference-servers.js';
import { getViaSocks, inParallel } from '../../helpers/clients.js';
import { request } from '../../unit/api/harness.js';
import { body, startSubscriptionServer, status, type SubscriptionServer } from './subscription-server.js';

/**
 * proxy-providers feeding a pool through `use:`: a file provider and an http provider served on loopback,
 * whose proxies are real microsocks servers. Each microsocks binds its outgoing connections to its own
 * 127.0.0.x, so the target counts which upstream carried each request.
 */
const registry = createProtocolRegistry();
const ADDR = ['127.0.0.21', '127.0.0.22', '127.0.0.23', '127.0.0.24'];
const micro: ReferenceServer[] = [];
let target: HttpTarget;
let subs: SubscriptionServer;
let dir: string;
const engines: Engine[] = [];

beforeAll(async () => {
  target = await startHttpTarget();
  subs = await startSubscriptionServer();
  for (const addr of ADDR) micro.push(await startMicrosocks({ bindOutgoing: addr }));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-providers-'));
});
afterAll(async () => {
  await Promise.all(micro.map((m) => m.stop()));
  await subs?.close();
  await target?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
});

/** A Clash YAML provider body: `name → microsocks index`, plus whatever extra lines. */
function providerYaml(entries: Record<string, number>, extra: string[] = []): string {
  const lines = Object.entries(entries).map(([name, i]) => `  - { name: "${name}", type: socks5, server: 127.0.0.1, port: ${micro[i]!.port} }`);
  return `proxies:\n${[...lines, ...extra].join('\n')}\n`;
}

async function startEngine(yaml: string, options: { dataDir?: string } = {}) {
  const lines: string[] = [];
  const logger = createLogger('warning', { write: (line: string) => void lines.push(line) });
  const { profile } = loadProfile(yaml, registry);
  const engine = new Engine(profile, { logger, mixedPort: 0, profileDir: dir, dataDir: options.dataDir, controller: { port: 0 }, providerFetch: { timeoutMs: 2000 } });
  engines.push(engine);
  const started = await engine.start();
  return { engine, port: started.mixed.port, controller: started.controller, lines };
}

async function countsThrough(port: number, requests: number): Promise<number[]> {
  target.sources.clear();
  const results = await inParallel(requests, 4, () => getViaSocks(port, target.url('/hello')));
  expect(results.map((r) => r.status)).toEqual(Array(requests).fill(200));
  return ADDR.map((a) => target.sources.get(a) ?? 0);
}

describe('proxy-providers feed pools through use:', () => {
  it('a request through the pool reaches the target through the file and http providers’ microsocks; a refresh changes the members', async () => {
    fs.writeFileSync(path.join(dir, 'local.yaml'), providerYaml({ shared: 0, l2: 1 }));
    subs.route('/provider', body(providerYaml({ r3: 2, r4: 3 }, ['  - { name: hy, type: hysteria2, server: 127.0.0.1, port: 1 }', '  - { name: bad, type: ss, server: 127.0.0.1, port: 2, cipher: rc4, password: x }']), {
      'subscription-userinfo': 'upload=10; download=20; total=1000; expire=1900000000',
    }));
    const { engine, port, controller, lines } = await startEngine(`
external-controller: 127.0.0.1:9090
secret: s3cret
proxies:
  - { name: shared, type: socks5, server: 127.0.0.1, port: ${micro[0]!.port} }
proxy-providers:
  local: { type: file, path: local.yaml }
  remote: { type: http, url: "${subs.url('/provider?token=tok')}", interval: 3600 }
proxy-groups:
  - { name: pool, type: load-balance, strategy: round-robin, use: [local, remote] }
rules:
  - MATCH,pool
`);
    // The profile's own "shared" keeps its name; the provider's becomes "shared 2".
    expect(engine.pools.get('pool')!.memberNames().members).toEqual(['shared 2', 'l2', 'r3', 'r4']);
    expect(await countsThrough(port, 40)).toEqual([10, 10, 10, 10]);
    // One warning for each skipped proxy, naming why.
    expect(lines.filter((l) => l.includes('skipped'))).toHaveLength(2);
    expect(lines.join('\n')).toMatch(/proxy-provider remote: skipped \\?"hy\\?": type \\?"hysteria2\\?" is not supported yet/);
    expect(lines.join('\n')).toMatch(/proxy-provider remote: skipped \\?"bad\\?": cipher: /);
    expect(lines.join('\n')).not.toContain('tok');
    // GLOBAL lists them too.
    expect(engine.pools.get('GLOBAL')!.memberNames().members).toEqual(['pool', 'shared', 'shared 2', 'l2', 'r3', 'r4', 'DIRECT']);

    const api = (method: string, p: string) => request(controller!.port, method, p, {}, 's3cret');
    const listed = (await api('GET', '/providers/proxies')).json.providers;
    expect(Object.keys(listed)).toEqual(['default', 'local', 'remote']);
    expect(listed.remote).toMatchObject({ name: 'remote', type: 'Proxy', vehicleType: 'HTTP', subscriptionInfo: { Upload: 10, Download: 20, Total: 1000, Expire: 1900000000 } });
    expect(listed.local).toMatchObject({ vehicleType: 'File' });
    expect(listed.local.subscriptionInfo).toBeUndefined();
    expect(listed.remote.proxies.map((p: { name: string; type: string }) => `${p.name}:${p.type}`)).toEqual(['r3:Socks5', 'r4:Socks5']);
    const updatedAt = Date.parse(listed.remote.updatedAt);
    expect(Math.abs(Date.now() - updatedAt)).toBeLessThan(60_000);

    // The provider drops r3 and adds r1 (on the first microsocks); PUT refreshes it now.
    const before = subs.count('/provider');
    subs.route('/provider', body(providerYaml({ r4: 3, r1: 0 })));
    expect((await api('PUT', '/providers/proxies/remote')).status).toBe(204);
    expect(subs.count('/provider')).toBe(before + 1);
    expect(engine.pools.get('pool')!.memberNames().members).toEqual(['shared 2', 'l2', 'r4', 'r1']);
    expect(engine.outbounds.has('r3')).toBe(false);
    expect(Date.parse((await api('GET', '/providers/proxies/remote')).json.updatedAt)).toBeGreaterThanOrEqual(updatedAt);
    expect(await countsThrough(port, 40)).toEqual([20, 10, 0, 10]);

    // A failed refresh answers 503 and keeps the members.
    subs.route('/provider', status(500));
    const failed = await api('PUT', '/providers/proxies/remote');
    expect(failed.status).toBe(503);
    expect(failed.json.message).toMatch(/answered HTTP 500/);
    expect(engine.pools.get('pool')!.memberNames().members).toEqual(['shared 2', 'l2', 'r4', 'r1']);
    expect((await api('PUT', '/providers/proxies/nope')).status).toBe(404);
  });

  it('refreshes an http provider on its interval', async () => {
    subs.route('/timed', body(providerYaml({ t1: 0 })));
    const { engine } = await startEngine(`
proxy-providers:
  timed: { type: http, url: "${subs.url('/timed')}", interval: 1 }
proxy-groups:
  - { name: pool, type: fallback, proxies: [DIRECT], use: [timed] }
rules:
  - MATCH,pool
`);
    expect(engine.pools.get('pool')!.memberNames().members).toEqual(['DIRECT', 't1']);
    subs.route('/timed', body(providerYaml({ t2: 1, t3: 2 })));
    const deadline = Date.now() + 5000;
    while (engine.pools.get('pool')!.memberNames().members.length !== 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(engine.pools.get('pool')!.memberNames().members).toEqual(['DIRECT', 't2', 't3']);
  });

  it('keeps the last good body in <data-dir>/providers/<name>.yaml and uses it when the download fails', async () => {
    const dataDir = path.join(dir, 'data');
    subs.route('/cached', body(providerYaml({ c3: 2 })));
    const yaml = `
proxy-providers:
  "cached sub": { type: http, url: "${subs.url('/cached')}" }
proxy-groups:
  - { name: pool, type: load-balance, use: ["cached sub"] }
rules:
  - MATCH,pool
`;
    const first = await startEngine(yaml, { dataDir });
    const cacheFile = path.join(dataDir, 'providers', 'cached%20sub.yaml');
    expect(fs.readFileSync(cacheFile, 'utf8')).toBe(providerYaml({ c3: 2 }));
    await first.engine.stop();

    // A garbled answer is not cached over the good copy; a failed one falls back to it.
    subs.route('/cached', body('<html><title>502 Bad Gateway</title></html>'));
    const second = await startEngine(yaml, { dataDir });
    expect(fs.readFileSync(cacheFile, 'utf8')).toBe(providerYaml({ c3: 2 }));
    expect(second.engine.pools.get('pool')!.memberNames().members).toEqual(['c3']);
    expect(second.lines.join('\n')).toContain('uses its cached copy');
    expect(await countsThrough(second.port, 4)).toEqual([0, 0, 4, 0]);
  });
});
