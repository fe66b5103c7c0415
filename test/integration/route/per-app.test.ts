import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../core/engine.js';
import { loadProfile } from '../../../core/config/load.js';
import { createProtocolRegistry } from '../../../core/protocol/index.js';
import { startHttpTarget, type HttpTarget } from '../../helpers/http-target.js';
import { startMicrosocks, type ReferenceServer } from '../../helpers/reference-servers.js';
import { request, eventually } from '../../unit/api/harness.js';
import type { LinuxProcessLookup } from '../../../core/route/process/linux.js';
import { curlVia, nodeVia } from './clients.js';

/**
 * Per-app policies on Linux, for real: curl and a node client through the mixed port; the core finds
 * each one's process in /proc. Every upstream microsocks binds its outgoing side to its own 127.0.0.x,
 * so the target's count per source address says where each request went:
 *   127.0.0.1 DIRECT · 127.0.0.2 / .3 the pool of two · 127.0.0.4 the profile's default (MATCH,other)
 */
const SECRET = 'per-app-secret';
const CURL = fs.realpathSync('/usr/bin/curl');
const NODE = fs.realpathSync(process.execPath);
let target: HttpTarget;
const micro: ReferenceServer[] = [];
let engine: Engine;
let mixed: number;
let api: number;

const call = (method: string, path: string, body?: unknown) => request(api, method, path, { body }, SECRET);
const bySource = () => ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'].map((a) => target.sources.get(a) ?? 0);
const put = (key: string, body: unknown) => call('PUT', `/switchyard/apps/${encodeURIComponent(key)}`, body);

beforeAll(async () => {
  target = await startHttpTarget();
  for (const addr of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) micro.push(await startMicrosocks({ bindOutgoing: addr }));
  const { profile } = loadProfile(
    `
external-controller: 127.0.0.1:9090
secret: ${SECRET}
proxies:
  - { name: m1, type: socks5, server: 127.0.0.1, port: ${micro[0]!.port} }
  - { name: m2, type: socks5, server: 127.0.0.1, port: ${micro[1]!.port} }
  - { name: m3, type: socks5, server: 127.0.0.1, port: ${micro[2]!.port} }
proxy-groups:
  - { name: pool, type: load-balance, strategy: round-robin, proxies: [m1, m2] }
  - { name: other, type: select, proxies: [m3] }
rules:
  - MATCH,other
`,
    createProtocolRegistry(),
  );
  engine = new Engine(profile, { mixedPort: 0, controller: { port: 0 }, apps: { track: true } });
  const started = await engine.start();
  mixed = started.mixed.port;
  api = started.controller!.port;
});

afterAll(async () => {
  await engine?.stop();
  await Promise.all(micro.map((m) => m.stop()));
  await target?.close();
});

describe('per-app policies with real client programs', () => {
  it('lists both programs with their connections and bytes, and says what it cannot see', async () => {
    target.sources.clear();
    expect((await curlVia(mixed, target.url('/hello'))).ok).toBe(true);
    expect((await nodeVia(mixed, target.url('/hello'))).status).toBe(200);
    expect(bySource()).toEqual([0, 0, 0, 2]);
    let apps: any[] = [];
    await eventually(async () => {
      apps = (await call('GET', '/switchyard/apps')).json.apps;
      return [CURL, NODE].every((k) => apps.some((a) => a.key === k && a.connections >= 1));
    }, 'both apps listed');
    const curlApp = apps.find((a) => a.key === CURL);
    expect(curlApp).toMatchObject({ name: 'curl', path: CURL, policy: 'default', target: null });
    expect(curlApp.down).toBeGreaterThan(0);
    expect(curlApp.up).toBeGreaterThan(0);
    const res = await call('GET', '/switchyard/apps');
    expect(res.json).toMatchObject({ tracking: true, lookupAvailable: true, pools: expect.arrayContaining(['pool', 'other']) });
    expect(res.json.note).toMatch(/ignore the system proxy.*TUN/);
  });

  it('curl set Direct and node set to the pool: the target counts where each went', async () => {
    expect((await put(CURL, { policy: 'direct' })).status).toBe(200);
    const pooled = await put(NODE, { policy: 'pool', target: 'pool' });
    expect(pooled.status).toBe(200);
    expect(pooled.json).toMatchObject({ app: { key: NODE, policy: 'pool', target: 'pool' }, closed: 0 });
    // The policies are rules ahead of the profile's, shown in /rules.
    expect((await call('GET', '/rules')).json.rules.slice(0, 2)).toEqual([
      { type: 'PROCESS-PATH', payload: CURL, proxy: 'DIRECT', size: -1 },
      { type: 'PROCESS-PATH', payload: NODE, proxy: 'pool', size: -1 },
    ].sort((a, b) => a.payload.localeCompare(b.payload)));
    target.sources.clear();
    for (let i = 0; i < 3; i++) expect((await curlVia(mixed, target.url('/hello'))).ok).toBe(true);
    for (let i = 0; i < 4; i++) expect((await nodeVia(mixed, target.url('/hello'))).status).toBe(200);
    expect(bySource()).toEqual([3, 2, 2, 0]);
  });

  it('each connection records its process and the rule that matched', async () => {
    const slow = nodeVia(mixed, target.url('/slow/800'));
    let conn: any;
    await eventually(async () => {
      conn = (await call('GET', '/connections')).json.connections.find((c: any) => c.metadata.process === 'node');
      return !!conn;
    }, 'the node connection in /connections');
    expect(conn.metadata.processPath).toBe(NODE);
    expect(conn.rule).toBe('PROCESS-PATH');
    expect(conn.rulePayload).toBe(NODE);
    expect(conn.chains).toContain('pool');
    expect((await slow).status).toBe(200);
  });

  it('Block refuses the app at once, and closeConnections ends what it has open', async () => {
    const slow = nodeVia(mixed, target.url('/slow/3000'));
    await eventually(() => engine.tracker.list().some((c) => c.meta.process?.path === NODE), 'the slow node connection');
    const blocked = await put(NODE, { policy: 'block', closeConnections: true });
    expect(blocked.json).toMatchObject({ app: { policy: 'block' }, closed: 1 });
    // Cut before its answer: the plain HTTP proxy tells the client 502 (or the socket just ends).
    const cut = await slow;
    expect(cut.status === 502 || /socket hang up|ECONNRESET/.test(cut.error ?? ''), JSON.stringify(cut)).toBe(true);
    expect(target.hits.get('slow')).toBeGreaterThan(0);
    // A new request: our plain HTTP proxy answers 403, the refusal of a REJECT rule.
    const refused = await nodeVia(mixed, target.url('/hello'));
    expect(refused.status).toBe(403);
    // curl over SOCKS5 when blocked: the proxy answers "not allowed" and curl fails.
    await put(CURL, { policy: 'block' });
    const r = await curlVia(mixed, target.url('/hello'));
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/SOCKS|proxy/i);
    // Back to default: the profile's MATCH,other again.
    await put(CURL, { policy: 'default' });
    await put(NODE, { policy: 'default' });
    target.sources.clear();
    expect((await curlVia(mixed, target.url('/hello'))).ok).toBe(true);
    expect((await nodeVia(mixed, target.url('/hello'))).status).toBe(200);
    expect(bySource()).toEqual([0, 0, 0, 2]);
  });

  it('with tracking off, processes are looked up only once a policy needs them', async () => {
    const linux = engine.router.processLookup as LinuxProcessLookup;
    expect((await call('PATCH', '/switchyard/apps', { tracking: false })).status).toBe(204);
    expect((await call('GET', '/switchyard/apps')).json.tracking).toBe(false);
    const passes = () => linux.socketSearches;
    const before = passes();
    target.sources.clear();
    expect((await curlVia(mixed, target.url('/hello'))).ok).toBe(true);
    expect((await nodeVia(mixed, target.url('/hello'))).status).toBe(200);
    expect(passes()).toBe(before);
    expect(bySource()).toEqual([0, 0, 0, 2]);
    await put(NODE, { policy: 'pool', target: 'pool' });
    expect((await curlVia(mixed, target.url('/hello'))).ok).toBe(true);
    expect((await nodeVia(mixed, target.url('/hello'))).status).toBe(200);
    expect(passes()).toBeGreaterThan(before);
    // One of the pool's two members carried the node request (which one depends on the round-robin's turn).
    const [direct, p1, p2, other] = bySource();
    expect([direct, p1! + p2!, other]).toEqual([0, 1, 3]);
    await put(NODE, { policy: 'default' });
    await call('PATCH', '/switchyard/apps', { tracking: true });
  });

  it('answers 400 naming the field for a bad policy body', async () => {
    const cases: [unknown, string][] = [
      [{ policy: 'proxy' }, 'policy: expected one of default, pool, direct, block, got "proxy"'],
      [{}, 'policy: expected one of default, pool, direct, block, got nothing'],
      [{ policy: 'pool' }, 'target: expected the name of a pool (pool, other, GLOBAL), got nothing'],
      [{ policy: 'pool', target: 'm1' }, 'target: expected the name of a pool (pool, other, GLOBAL), got "m1"'],
      [{ policy: 'direct', target: 'pool' }, 'target: expected no target unless policy is pool, got "pool"'],
      [{ policy: 'direct', closeConnections: 'yes' }, 'closeConnections: expected true or false, got "yes"'],
      [{ policy: 'direct', color: 'red' }, 'color: unknown field (an app policy takes policy, target, closeConnections)'],
      [[1], 'body: expected a JSON object, got a list'],
    ];
    for (const [body, message] of cases) {
      const res = await put(CURL, body);
      expect([res.status, res.json?.message]).toEqual([400, message]);
    }
    const patch = await call('PATCH', '/switchyard/apps', { tracking: 'on' });
    expect([patch.status, patch.json.message]).toEqual([400, 'tracking: expected true or false, got "on"']);
    expect((await call('GET', '/switchyard/apps')).json.apps.find((a: any) => a.key === CURL).policy).toBe('default');
  });
});
