import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createProtocolRegistry } from '../../../core/protocol/index.js';
import { openStore, type Store } from '../../../core/store/index.js';
import { SubscriptionService, DEFAULT_REFRESH_INTERVAL_MS, type RefreshSummary } from '../../../core/subscription/refresh.js';
import { startMicrosocks, type ReferenceServer } from '../../helpers/reference-servers.js';
import { body, hang, redirect, startSubscriptionServer, status, type SubscriptionServer } from './subscription-server.js';

/**
 * The subscription service end to end: a real HTTP server on loopback serves bodies in every format with
 * the subscription headers; the service fetches, parses and stores into a real SQLite file in a temp dir.
 */
const fixture = (name: string) => fs.readFileSync(path.resolve(__dirname, '../../fixtures/subscriptions', name));
const registry = createProtocolRegistry();

let server: SubscriptionServer;
let dir: string;
let store: Store;
let service: SubscriptionService;

beforeAll(async () => {
  server = await startSubscriptionServer();
});
afterAll(async () => {
  await server?.close();
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-refresh-'));
  store = openStore(dir);
  service = new SubscriptionService({ store, registry, fetch: { timeoutMs: 500, maxBytes: 256 * 1024 } });
});
afterEach(() => {
  service.stop();
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const ok = (r: unknown): RefreshSummary => {
  expect(r).toMatchObject({ ok: true });
  return r as RefreshSummary;
};

describe('subscription refresh into SQLite', () => {
  it.each([
    ['base64-standard.txt', 'base64', 12, 3],
    ['base64-urlsafe-crlf.txt', 'base64', 12, 3],
    ['links.txt', 'plain', 12, 3],
    ['clash.yaml', 'clash', 6, 2],
    ['sip008.json', 'sip008', 4, 2],
  ])('stores %s (%s): %i servers, %i of them unsupported with a reason', async (file, format, servers, unsupported) => {
    server.route(`/fmt/${file}`, body(fixture(file)));
    const { subscription, result } = await service.add({ name: file, url: server.url(`/fmt/${file}?token=t`) });
    const r = ok(result);
    expect(r.format).toBe(format);
    expect(r).toMatchObject({ servers, added: servers, removed: 0, kept: 0 });
    expect(r.unsupported).toHaveLength(unsupported);
    expect(subscription).toMatchObject({ servers, unsupported, lastError: null });
    const stored = store.servers.listForSubscription(subscription.id);
    expect(stored).toHaveLength(servers);
    expect(stored.filter((s) => s.unsupportedReason !== null)).toHaveLength(unsupported);
    // Reopening the file shows the same rows: they are on disk, not in memory.
    const again = openStore(dir);
    expect(again.servers.listForSubscription(subscription.id).map((s) => s.id)).toEqual(stored.map((s) => s.id));
    again.close();
  });

  it('keeps unsupported entries with the scheme as their type and the reason, never dropping them', async () => {
    server.route('/unsupported', body(fixture('links.txt')));
    const { subscription } = await service.add({ name: 'u', url: server.url('/unsupported') });
    const hy = store.servers.listForSubscription(subscription.id).find((s) => s.type === 'hysteria2')!;
    expect(hy).toMatchObject({ name: 'Hysteria', unsupportedReason: 'Hysteria 2 (hysteria2://) is not supported yet' });
    expect(hy.link).toMatch(/^hysteria2:\/\//);
    const grpc = store.servers.listForSubscription(subscription.id).find((s) => s.name === 'US gRPC')!;
    expect(grpc).toMatchObject({ type: 'vless', unsupportedReason: 'network: expected one of tcp, ws, got "grpc"' });
  });

  it('stores Subscription-Userinfo, profile-update-interval and the title, and uses the header interval', async () => {
    server.route('/headers', body(fixture('links.txt'), {
      'subscription-userinfo': 'upload=1024; download=2048; total=1073741824; expire=1900000000',
      'profile-update-interval': '6',
      'profile-title': `base64:${Buffer.from('My Provider').toString('base64')}`,
    }));
    const { subscription } = await service.add({ name: 'h', url: server.url('/headers') });
    expect(subscription).toMatchObject({ title: 'My Provider', upload: 1024, download: 2048, total: 1073741824, expire: 1900000000, updateIntervalH: 6 });
    expect(subscription.effectiveIntervalS).toBe(6 * 3600);
    expect(service.update(subscription.id, { intervalS: 600 })!.effectiveIntervalS).toBe(600);
    expect(service.update(subscription.id, { intervalS: null })!.effectiveIntervalS).toBe(6 * 3600);
    server.route('/plain', body(fixture('links.txt')));
    const plain = await service.add({ name: 'p', url: server.url('/plain') });
    expect(plain.subscription.effectiveIntervalS).toBe(DEFAULT_REFRESH_INTERVAL_MS / 1000);
  });

  it('sends the subscription User-Agent when set, the default otherwise', async () => {
    server.route('/ua', body(fixture('links.txt')));
    const { subscription } = await service.add({ name: 'ua', url: server.url('/ua'), userAgent: 'ClashX Pro/1.9' });
    expect(server.requests.at(-1)!.userAgent).toBe('ClashX Pro/1.9');
    service.update(subscription.id, { userAgent: null });
    await service.refresh(subscription.id);
    expect(server.requests.at(-1)!.userAgent).toMatch(/^clash-verge\//);
  });

  describe('a failed refresh keeps the servers and records the error, leaving last_success_at alone', () => {
    const half = fixture('base64-standard.txt').subarray(0, Math.floor(fixture('base64-standard.txt').length / 2));
    const cases: [string, () => void, RegExp, string][] = [
      ['HTTP 500', () => server.route('/flaky', status(500)), /answered HTTP 500/, 'FETCH_HTTP_STATUS'],
      ['a timeout', () => server.route('/flaky', hang), /no complete answer within 500 ms/, 'FETCH_TIMEOUT'],
      ['0 bytes', () => server.route('/flaky', body('')), /^empty subscription: 0 bytes$/, 'EMPTY_SUBSCRIPTION'],
      ['an HTML error page', () => server.route('/flaky', body(fixture('html-error.html'), { 'content-type': 'text/html' })), /looks like an HTML page/, 'UNRECOGNISED_SUBSCRIPTION'],
      ['half a base64 body', () => server.route('/flaky', body(half)), /^the body looks cut off: its last entry could not be read \(line 5: /, 'SUBSCRIPTION_CUT_OFF'],
      ['a body over the size cap', () => server.route('/flaky', body(Buffer.alloc(300 * 1024, 'a'))), /larger than the 256 KiB allowed/, 'FETCH_TOO_LARGE'],
      [
        'too many redirects',
        () => {
          for (let i = 1; i <= 7; i++) server.route(`/loop/${i}`, redirect(`/loop/${i + 1}`));
          server.route('/flaky', redirect('/loop/1'));
        },
        /more than 5 redirects/,
        'FETCH_TOO_MANY_REDIRECTS',
      ],
    ];
    it.each(cases)('%s', async (_, breakIt, message, code) => {
      server.route('/flaky', body(fixture('base64-standard.txt'), { 'subscription-userinfo': 'upload=1; download=2; total=3' }));
      const { subscription } = await service.add({ name: 'flaky', url: server.url('/flaky?token=secret-token') });
      const before = store.servers.listForSubscription(subscription.id);
      expect(before).toHaveLength(12);
      const success = store.subscriptions.get(subscription.id)!.lastSuccessAt!;
      await new Promise((r) => setTimeout(r, 5)); // so the failed attempt has a later timestamp

      breakIt();
      const result = await service.refresh(subscription.id)!;
      expect(result).toMatchObject({ ok: false, code });
      const after = store.subscriptions.get(subscription.id)!;
      expect(after.lastError).toMatch(message);
      expect(after.lastError).not.toContain('secret-token');
      expect(after.lastFetchAt).toBeGreaterThan(success);
      expect(after.lastSuccessAt).toBe(success);
      expect(after).toMatchObject({ upload: 1, download: 2, total: 3 });
      expect(store.servers.listForSubscription(subscription.id)).toEqual(before);

      // And the next good answer clears the error.
      server.route('/flaky', body(fixture('base64-standard.txt')));
      ok(await service.refresh(subscription.id));
      expect(store.subscriptions.get(subscription.id)!.lastError).toBeNull();
    });
  });

  it('keeps a renamed node (id, weight, enabled), drops a removed one and adds a new one', async () => {
    const link = (name: string, port: number, password = 'pw') => `ss://${Buffer.from(`aes-128-gcm:${password}`).toString('base64url')}@198.51.100.7:${port}#${encodeURIComponent(name)}`;
    server.route('/nodes', body([link('HK 01 | 1.0x', 1001), link('JP 02', 1002), link('SG 03', 1003)].join('\n')));
    const { subscription } = await service.add({ name: 'nodes', url: server.url('/nodes') });
    const first = store.servers.listForSubscription(subscription.id);
    const hk = first.find((s) => s.name === 'HK 01 | 1.0x')!;
    const jp = first.find((s) => s.name === 'JP 02')!;
    store.servers.setWeight(hk.id, 5);
    store.servers.setEnabled(hk.id, false);

    // The provider renames HK, drops JP, adds KR, and changes SG's password (a different server to us).
    server.route('/nodes', body([link('HK 01 | 2.0x 🔥', 1001), link('SG 03', 1003, 'new-pw'), link('KR 04', 1004)].join('\n')));
    const r = ok(await service.refresh(subscription.id));
    expect(r).toMatchObject({ servers: 3, kept: 1, added: 2, removed: 2 });
    const second = store.servers.listForSubscription(subscription.id);
    expect(second.map((s) => s.name)).toEqual(['HK 01 | 2.0x 🔥', 'SG 03', 'KR 04']);
    expect(second[0]).toMatchObject({ id: hk.id, weight: 5, enabled: false, createdAt: hk.createdAt });
    expect(second.some((s) => s.id === jp.id)).toBe(false);
    expect(second.every((s) => s.weight === 1 || s.id === hk.id)).toBe(true);
  });

  it('gives true duplicates ids of their own that stay put across refreshes', async () => {
    const dup = `ss://${Buffer.from('aes-128-gcm:pw').toString('base64url')}@198.51.100.8:2000`;
    server.route('/dups', body([`${dup}#A`, `${dup}#B`, `${dup}#C`].join('\n')));
    const { subscription } = await service.add({ name: 'dups', url: server.url('/dups') });
    const ids = store.servers.listForSubscription(subscription.id).map((s) => s.id);
    expect(new Set(ids).size).toBe(3);
    expect(ids[1]).toBe(`${ids[0]}-2`);
    expect(ids[2]).toBe(`${ids[0]}-3`);
    store.servers.setWeight(ids[1]!, 9);
    ok(await service.refresh(subscription.id));
    expect(store.servers.get(ids[1]!)!.weight).toBe(9);
  });

  it('refreshes on its interval while running, and stop() clears the timers', async () => {
    server.route('/timed', body(fixture('links.txt')));
    service.start();
    const { subscription } = await service.add({ name: 'timed', url: server.url('/timed'), intervalS: 1 });
    expect(service.get(subscription.id)!.nextRefreshAt).toBeGreaterThan(Date.now());
    const deadline = Date.now() + 6000;
    while (server.count('/timed') < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(server.count('/timed')).toBeGreaterThanOrEqual(3);
    service.stop();
    expect(service.get(subscription.id)!.nextRefreshAt).toBeNull();
    const settled = server.count('/timed');
    await new Promise((r) => setTimeout(r, 1500));
    expect(server.count('/timed')).toBe(settled);
  });

  it('stop() cancels a download under way, which records nothing, so the store can close at once', async () => {
    server.route('/slow', hang);
    const slowService = new SubscriptionService({ store, registry, fetch: { timeoutMs: 10_000 } });
    const record = store.subscriptions.add({ name: 'slow', url: server.url('/slow') });
    slowService.start();
    const deadline = Date.now() + 3000;
    while (server.count('/slow') === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const inflight = slowService.refresh(record.id)!; // joins the refresh start() began
    slowService.stop();
    expect(await inflight).toMatchObject({ ok: false, code: 'FETCH_ABORTED' });
    expect(store.subscriptions.get(record.id)).toMatchObject({ lastFetchAt: null, lastError: null });
    expect(server.count('/slow')).toBe(1);
  });

  it('at start fetches what was never fetched or is overdue, and leaves disabled and manual-only ones alone', async () => {
    for (const p of ['/due', '/fresh', '/disabled', '/manual']) server.route(p, body(fixture('links.txt')));
    const due = store.subscriptions.add({ name: 'due', url: server.url('/due') });
    const fresh = store.subscriptions.add({ name: 'fresh', url: server.url('/fresh') });
    store.subscriptions.recordSuccess(fresh.id, {}, Date.now());
    store.subscriptions.add({ name: 'disabled', url: server.url('/disabled'), enabled: false });
    store.subscriptions.add({ name: 'manual', url: server.url('/manual'), intervalS: 0 });
    const refreshed: string[] = [];
    service.onRefreshed((r) => refreshed.push(r.subscriptionId));
    service.start();
    const deadline = Date.now() + 3000;
    while (refreshed.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    expect(refreshed).toEqual([due.id]);
    expect(server.count('/fresh') + server.count('/disabled') + server.count('/manual')).toBe(0);
    const freshView = service.get(fresh.id)!;
    expect(freshView.nextRefreshAt! - freshView.lastFetchAt!).toBe(DEFAULT_REFRESH_INTERVAL_MS);
  });

  it('fetches through the local proxy when viaProxy is set, and says so when none runs', async () => {
    const socks: ReferenceServer = await startMicrosocks({ bindOutgoing: '127.0.0.11' });
    try {
      let proxy: { host: string; port: number } | undefined;
      const viaService = new SubscriptionService({ store, registry, localProxy: () => proxy });
      server.route('/via', body(fixture('links.txt')));
      const { subscription, result } = await viaService.add({ name: 'via', url: server.url('/via'), viaProxy: true });
      expect(result).toMatchObject({ ok: false, code: 'FETCH_NETWORK', error: 'viaProxy is set but no mixed port is running to fetch through' });
      expect(server.count('/via')).toBe(0);
      proxy = { host: '127.0.0.1', port: socks.port };
      ok(await viaService.refresh(subscription.id));
      expect(server.requests.at(-1)).toMatchObject({ path: '/via', from: '127.0.0.11' });
    } finally {
      await socks.stop();
    }
  });

  it('deleting a subscription deletes its servers; a refresh of an unknown id is undefined', async () => {
    server.route('/del', body(fixture('links.txt')));
    const { subscription } = await service.add({ name: 'del', url: server.url('/del') });
    expect(service.remove(subscription.id)).toBe(true);
    expect(store.servers.listForSubscription(subscription.id)).toEqual([]);
    expect(service.refresh(subscription.id)).toBeUndefined();
    expect(service.remove(subscription.id)).toBe(false);
  });
});
