import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../core/engine.js';
import { loadProfile } from '../../../core/config/index.js';
import { createProtocolRegistry } from '../../../core/protocol/index.js';
import { openRunData, type RunData } from '../../../core/run-data.js';
import { startHttpTarget, type HttpTarget } from '../../helpers/http-target.js';
import { startMicrosocks, type ReferenceServer } from '../../helpers/reference-servers.js';
import { getViaSocks } from '../../helpers/clients.js';
import { request, type CallInit } from '../../unit/api/harness.js';
import { startSubscriptionServer, type SubscriptionServer } from './subscription-server.js';

/**
 * Stored subscriptions and servers drive the running engine: a subscription added through the API puts its
 * servers into a pool with `include-all-providers`, and enable, weight, refresh, adding by link, disabling
 * and deleting the subscription all change where the next connections go. Three real microsocks upstreams,
 * each sending from its own 127.0.0.x, so the target counts where every request really went.
 */
const OUT = ['127.0.0.21', '127.0.0.22', '127.0.0.23'];
let upstreams: ReferenceServer[];
let target: HttpTarget;
let subs: SubscriptionServer;
let dir: string;
let data: RunData;
let engine: Engine;
let controllerPort: number;
let secret: string;
let mixedPort: number;

const clashBody = (names: string[]) =>
  `proxies:\n${names.map((n) => `  - { name: ${n}, type: socks5, server: 127.0.0.1, port: ${upstreams[Number(n.slice(1)) - 1]!.port} }`).join('\n')}\n`;

const call = (method: string, p: string, init?: CallInit) => request(controllerPort, method, p, init, secret);

/** Sends n requests through the mixed port, one after another; returns how many arrived from each upstream. */
async function spread(n: number): Promise<number[]> {
  const before = OUT.map((a) => target.sources.get(a) ?? 0);
  for (let i = 0; i < n; i++) {
    const r = await getViaSocks(mixedPort, target.url('/hello'));
    expect(r.status).toBe(200);
  }
  return OUT.map((a, i) => (target.sources.get(a) ?? 0) - before[i]!);
}

beforeAll(async () => {
  upstreams = await Promise.all(OUT.map((bindOutgoing) => startMicrosocks({ bindOutgoing })));
  target = await startHttpTarget();
  subs = await startSubscriptionServer();
  subs.route('/sub', (_req, res) => res.writeHead(200, { 'subscription-userinfo': 'upload=1; download=2; total=1000' }).end(clashBody(['s1', 's2'])));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-stored-pools-'));
  const registry = createProtocolRegistry();
  const { profile } = loadProfile(
    `mixed-port: 7890
external-controller: 127.0.0.1:9090
proxy-groups:
  - { name: Proxy, type: load-balance, strategy: weighted-round-robin, include-all-providers: true }
rules:
  - MATCH,Proxy
`,
    registry,
  );
  data = await openRunData(dir, registry, (await import('../../../core/logger.js')).silentLogger, () => undefined);
  engine = new Engine(profile, { registry, mixedPort: 0, stored: data.stored, probe: { history: data.history }, controller: { port: 0, subscriptions: data.subscriptions } });
  const started = await engine.start();
  controllerPort = started.controller!.port;
  secret = started.controller!.secret;
  mixedPort = started.mixed.port;
});

afterAll(async () => {
  await engine?.stop();
  data?.subscriptions.stop();
  data?.store.close();
  await Promise.all([...(upstreams ?? []).map((u) => u.stop()), target?.close(), subs?.close()]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('stored servers in the running pools', () => {
  it('starts with an empty pool that refuses with a clear error', async () => {
    const members = (await call('GET', '/proxies/Proxy')).json.all;
    expect(members).toEqual([]);
    await expect(getViaSocks(mixedPort, target.url('/hello'), 5000)).rejects.toThrow();
  });

  let subId: string;
  let byName: Map<string, { id: string; outbound: string | null }>;

  it('a subscription added through the API joins the pool before the answer, and carries traffic round-robin', async () => {
    const added = await call('POST', '/switchyard/subscriptions', { body: { url: subs.url('/sub'), name: 'Provider A' } });
    expect(added.status).toBe(201);
    subId = added.json.subscription.id;
    expect((await call('GET', '/proxies/Proxy')).json.all).toEqual(['s1', 's2']);
    expect(await spread(6)).toEqual([3, 3, 0]);

    const providers = (await call('GET', '/providers/proxies')).json.providers;
    expect(providers['Provider A']).toMatchObject({ vehicleType: 'HTTP', stored: true, subscriptionInfo: { Upload: 1, Download: 2, Total: 1000 } });
    expect(providers['Provider A'].proxies.map((p: { name: string }) => p.name)).toEqual(['s1', 's2']);

    const listed = (await call('GET', '/switchyard/servers')).json.servers as { id: string; name: string; outbound: string | null }[];
    byName = new Map(listed.map((s) => [s.name, s]));
    expect(listed.map((s) => s.outbound)).toEqual(['s1', 's2']);
  });

  it('weight and enabled set on a stored server change the spread of the next connections', async () => {
    expect((await call('PATCH', `/switchyard/servers/${byName.get('s1')!.id}`, { body: { weight: 3 } })).status).toBe(200);
    expect(await spread(8)).toEqual([6, 2, 0]);

    const off = await call('PATCH', `/switchyard/servers/${byName.get('s1')!.id}`, { body: { enabled: false } });
    expect(off.json).toMatchObject({ enabled: false, outbound: null });
    expect((await call('GET', '/proxies/Proxy')).json.all).toEqual(['s2']);
    expect(await spread(4)).toEqual([0, 4, 0]);

    await call('PATCH', `/switchyard/servers/${byName.get('s1')!.id}`, { body: { enabled: true, weight: 1 } });
    expect(await spread(4)).toEqual([2, 2, 0]);
  });

  it('a refresh that brings a new server, and one added by link, join the pool; PUT /providers refreshes the subscription', async () => {
    subs.route('/sub', (_req, res) => res.writeHead(200).end(clashBody(['s1', 's2', 's3'])));
    const fetchedBefore = subs.count('/sub');
    expect((await call('PUT', `/providers/proxies/${encodeURIComponent('Provider A')}`)).status).toBe(204);
    expect(subs.count('/sub')).toBe(fetchedBefore + 1);
    expect((await call('GET', '/proxies/Proxy')).json.all).toEqual(['s1', 's2', 's3']);
    expect(await spread(6)).toEqual([2, 2, 2]);

    // The same server by hand: a name the subscription already uses gets a suffix in the engine.
    const added = await call('POST', '/switchyard/servers', { body: { links: [`socks5://127.0.0.1:${upstreams[2]!.port}#s3`] } });
    expect(added.status).toBe(201);
    expect(added.json.servers[0]).toMatchObject({ name: 's3', subscription: null, outbound: 's3 2' });
    expect((await call('GET', '/proxies/Proxy')).json.all).toEqual(['s1', 's2', 's3', 's3 2']);
    expect(await spread(8)).toEqual([2, 2, 4]);
    const providers = (await call('GET', '/providers/proxies')).json.providers;
    expect(providers.Manual).toMatchObject({ vehicleType: 'Inline', stored: true });
  });

  it('disabling the subscription takes its servers out; deleting it removes them; the manual server stays', async () => {
    expect((await call('PATCH', `/switchyard/subscriptions/${subId}`, { body: { enabled: false } })).status).toBe(200);
    // A running server keeps its name when the one it was told apart from leaves or comes back.
    expect((await call('GET', '/proxies/Proxy')).json.all).toEqual(['s3 2']);
    await call('PATCH', `/switchyard/subscriptions/${subId}`, { body: { enabled: true } });
    expect((await call('GET', '/proxies/Proxy')).json.all).toEqual(['s1', 's2', 's3', 's3 2']);

    expect((await call('DELETE', `/switchyard/subscriptions/${subId}`)).status).toBe(204);
    expect((await call('GET', '/proxies/Proxy')).json.all).toEqual(['s3 2']);
    expect((await call('GET', '/providers/proxies')).json.providers['Provider A']).toBeUndefined();
    expect(await spread(3)).toEqual([0, 0, 3]);
  });

  it('a write made to the store directly (as a scheduled refresh makes it) reaches the pool on the next turn', async () => {
    const manual = data.store.servers.listForSubscription(null)[0]!;
    data.store.servers.setEnabled(manual.id, false);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect((await call('GET', '/proxies/Proxy')).json.all).toEqual([]);
  });
});
