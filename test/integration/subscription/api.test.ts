import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useStoredApi } from '../../helpers/stored-api.js';
import { body, startSubscriptionServer, status, type SubscriptionServer } from './subscription-server.js';

/** /switchyard/subscriptions on a real controller, with a real store in a temp dir and a real subscription server. */
const fixture = (name: string) => fs.readFileSync(path.resolve(__dirname, '../../fixtures/subscriptions', name));
let subs: SubscriptionServer;
const { h, bare, store } = useStoredApi('subs-api', { timeoutMs: 2000 });

beforeAll(async () => {
  subs = await startSubscriptionServer();
});
afterAll(async () => {
  await subs?.close();
});

describe('/switchyard/subscriptions', () => {
  it('adds (fetching at once), lists, shows servers without credentials, updates, refreshes and deletes', async () => {
    subs.route('/api-sub', body(fixture('links.txt'), { 'profile-title': 'Provider T', 'subscription-userinfo': 'upload=1; download=2; total=100' }));
    const added = await h.call('POST', '/switchyard/subscriptions', { body: { url: subs.url('/api-sub?token=abc'), interval: 3600, viaProxy: false } });
    expect(added.status).toBe(201);
    const sub = added.json.subscription;
    expect(sub).toMatchObject({ name: '127.0.0.1', url: subs.url('/api-sub?token=abc'), intervalS: 3600, effectiveIntervalS: 3600, title: 'Provider T', total: 100, servers: 12, unsupported: 3, lastError: null });
    expect(added.json.result).toMatchObject({ ok: true, servers: 12, added: 12 });

    const list = await h.call('GET', '/switchyard/subscriptions');
    expect(list.json.subscriptions.map((s: { id: string }) => s.id)).toEqual([sub.id]);

    const servers = await h.call('GET', `/switchyard/subscriptions/${sub.id}/servers`);
    expect(servers.json.servers).toHaveLength(12);
    expect(servers.json.servers[0]).toMatchObject({ name: '香港 01', type: 'ss', server: '198.51.100.10', port: 8388, subscription: '127.0.0.1', enabled: true, weight: 1 });
    // Passwords and uuids never leave through this route.
    expect(servers.text).not.toMatch(/correct-horse|trojan-secret|b831381d|a3482e88/);

    const patched = await h.call('PATCH', `/switchyard/subscriptions/${sub.id}`, { body: { name: 'Renamed', interval: null, userAgent: 'Custom/1.0', enabled: false } });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ name: 'Renamed', intervalS: null, effectiveIntervalS: 86400, userAgent: 'Custom/1.0', enabled: false });

    const refreshed = await h.call('POST', `/switchyard/subscriptions/${sub.id}/refresh`);
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.result).toMatchObject({ ok: true, kept: 12, added: 0, removed: 0 });
    expect(subs.requests.at(-1)!.userAgent).toBe('Custom/1.0');

    subs.route('/api-sub', status(503, 'maintenance'));
    const failed = await h.call('POST', `/switchyard/subscriptions/${sub.id}/refresh`);
    expect(failed.status).toBe(502);
    expect(failed.json).toMatchObject({ code: 'FETCH_HTTP_STATUS', subscription: { servers: 12, lastError: expect.stringMatching(/answered HTTP 503/) } });
    expect(failed.json.message).toMatch(/^refresh failed: /);

    expect((await h.call('DELETE', `/switchyard/subscriptions/${sub.id}`)).status).toBe(204);
    expect((await h.call('GET', `/switchyard/subscriptions/${sub.id}`)).status).toBe(404);
    expect((await h.call('DELETE', `/switchyard/subscriptions/${sub.id}`)).status).toBe(404);
    expect(store.servers.listForSubscription(sub.id)).toEqual([]);
  });

  it('stores a subscription whose first fetch failed, with the error', async () => {
    subs.route('/down', status(500));
    const added = await h.call('POST', '/switchyard/subscriptions', { body: { url: subs.url('/down'), name: 'Down' } });
    expect(added.status).toBe(201);
    expect(added.json.result).toMatchObject({ ok: false, code: 'FETCH_HTTP_STATUS' });
    expect(added.json.subscription).toMatchObject({ name: 'Down', servers: 0, lastSuccessAt: null, lastError: expect.stringMatching(/HTTP 500/) });
  });

  it.each([
    [{}, 'url: expected an http(s) URL, got nothing'],
    [{ url: 'ftp://x/y' }, 'url: expected an http(s) URL, got "(a string that is not an http(s) URL)"'],
    [{ url: 'https://x/y', name: '' }, 'name: expected a non-empty string of at most 200 characters, got ""'],
    [{ url: 'https://x/y', interval: -1 }, 'interval: expected an integer number of seconds 0-31536000, got -1'],
    [{ url: 'https://x/y', interval: null }, 'interval: expected an integer number of seconds 0-31536000, got null'],
    [{ url: 'https://x/y', userAgent: 'a\nb' }, 'userAgent: expected a one-line string of at most 500 characters, got "a\\nb"'],
    [{ url: 'https://x/y', viaProxy: 'yes' }, 'viaProxy: expected true or false, got "yes"'],
    [{ url: 'https://x/y', token: 'x' }, 'token: unknown field (a subscription takes url, name, interval, userAgent, viaProxy, enabled)'],
  ])('400 naming the field for %j', async (payload, message) => {
    const res = await h.call('POST', '/switchyard/subscriptions', { body: payload });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ message });
  });

  it('400 on a bad update, 404 for an unknown id', async () => {
    subs.route('/upd', body(fixture('links.txt')));
    const { json } = await h.call('POST', '/switchyard/subscriptions', { body: { url: subs.url('/upd') } });
    const id = json.subscription.id;
    expect((await h.call('PATCH', `/switchyard/subscriptions/${id}`, { body: { enabled: 1 } })).json).toEqual({ message: 'enabled: expected true or false, got 1' });
    expect((await h.call('PATCH', `/switchyard/subscriptions/${id}`, { body: { url: 'nope' } })).status).toBe(400);
    expect((await h.call('PATCH', '/switchyard/subscriptions/no-such-id', { body: { name: 'x' } })).status).toBe(404);
    expect((await h.call('POST', '/switchyard/subscriptions/no-such-id/refresh')).status).toBe(404);
  });

  it('without a data directory: none listed, 404 for ids, and adding one answers 503 saying why', async () => {
    expect((await bare.call('GET', '/switchyard/subscriptions')).json).toEqual({ subscriptions: [] });
    expect((await bare.call('GET', '/switchyard/subscriptions/x')).status).toBe(404);
    const add = await bare.call('POST', '/switchyard/subscriptions', { body: { url: 'https://sub.example.com/x' } });
    expect(add.status).toBe(503);
    expect(add.json.message).toMatch(/--data-dir/);
  });
});
