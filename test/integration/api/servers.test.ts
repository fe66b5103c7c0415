import { describe, expect, it } from 'vitest';
import { parseLink } from '../../../core/subscription/links/index.js';
import { useStoredApi } from '../../helpers/stored-api.js';

/** /switchyard/servers on a real controller with a real SQLite store in a temp dir. */
const SS = 'ss://YWVzLTEyOC1nY206Y29ycmVjdC1ob3JzZQ@198.51.100.10:8388#%E9%A6%99%E6%B8%AF%2001';
const TROJAN = 'trojan://trojan-secret@198.51.100.11:443?security=tls&sni=example.com&type=tcp#tr';
const { h, bare, store } = useStoredApi('servers-api');

describe('/switchyard/servers', () => {
  it('adds by link, lists without credentials, enables, weighs, copies the link back, deletes', async () => {
    const added = await h.call('POST', '/switchyard/servers', { body: { links: `${SS}\nhysteria2://pw@198.51.100.12:443#hy\nnot-a-link\n${TROJAN}` } });
    expect(added.status).toBe(201);
    expect(added.json.added).toBe(3);
    expect(added.json.servers.map((s: { name: string }) => s.name)).toEqual(['香港 01', 'tr', 'hy']);
    expect(added.json.errors).toHaveLength(1);
    expect(added.json.errors[0].index).toBe(2);

    const list = await h.call('GET', '/switchyard/servers');
    expect(list.json.servers).toHaveLength(3);
    expect(list.text).not.toMatch(/correct-horse|trojan-secret/);
    const hy = list.json.servers.find((s: { name: string }) => s.name === 'hy');
    expect(hy.unsupportedReason).toMatch(/hysteria2/);
    const ss = list.json.servers.find((s: { name: string }) => s.name === '香港 01');

    const patched = await h.call('PATCH', `/switchyard/servers/${ss.id}`, { body: { enabled: false, weight: 5 } });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ enabled: false, weight: 5 });
    expect(store.servers.get(ss.id)).toMatchObject({ enabled: false, weight: 5 });

    // The copied link is the server again: parsing it gives what the pasted link gave.
    const link = await h.call('GET', `/switchyard/servers/${ss.id}/link`);
    expect(link.status).toBe(200);
    expect(parseLink(link.json.link)).toEqual(parseLink(SS));
    expect((await h.call('GET', `/switchyard/servers/${hy.id}/link`)).json.link).toBe('hysteria2://pw@198.51.100.12:443#hy');

    expect((await h.call('DELETE', `/switchyard/servers/${ss.id}`)).status).toBe(204);
    expect(store.servers.get(ss.id)).toBeUndefined();
    expect((await h.call('DELETE', `/switchyard/servers/${ss.id}`)).status).toBe(404);
  });

  it('answers bad bodies with 400 naming the field, and a subscription server cannot be deleted', async () => {
    const cases: [unknown, RegExp][] = [
      [{ links: [] }, /^links: expected share links/],
      [{ links: ['not-a-link'] }, /^links\[0\]: /],
      [{ links: 42 }, /^links: expected share links .* got 42$/],
    ];
    for (const [body, message] of cases) {
      const r = await h.call('POST', '/switchyard/servers', { body });
      expect(r.status).toBe(400);
      expect(r.json.message).toMatch(message);
    }
    const one = (await h.call('POST', '/switchyard/servers', { body: { links: [TROJAN] } })).json.servers[0];
    expect((await h.call('PATCH', `/switchyard/servers/${one.id}`, { body: { weight: 0 } })).json.message).toBe('weight: expected an integer 1-1000, got 0');
    expect((await h.call('PATCH', `/switchyard/servers/${one.id}`, { body: { enabled: 'yes' } })).json.message).toBe('enabled: expected true or false, got "yes"');
    expect((await h.call('PATCH', `/switchyard/servers/${one.id}`, { body: { colour: 'red' } })).json.message).toBe('colour: unknown field (a server takes enabled, weight)');
    expect((await h.call('PATCH', '/switchyard/servers/nope', { body: { enabled: true } })).status).toBe(404);

    store.db.prepare("INSERT INTO subscriptions (id, name, url, created_at) VALUES ('sub1', 'Provider', 'http://127.0.0.1:9/sub', 0)").run();
    store.servers.replaceForSubscription('sub1', [{ id: 'from-sub', name: 'sub node', type: 'socks5', config: { name: 'sub node', type: 'socks5', server: '127.0.0.1', port: 1080 } }]);
    const refused = await h.call('DELETE', '/switchyard/servers/from-sub');
    expect(refused.status).toBe(409);
    expect(refused.json.message).toBe('server "sub node" comes from a subscription and would return on its next refresh; disable it instead');
  });

  it('without a data directory: lists nothing, and adding says why', async () => {
    expect((await bare.call('GET', '/switchyard/servers')).json).toEqual({ servers: [] });
    expect((await bare.call('POST', '/switchyard/servers', { body: { links: [TROJAN] } })).status).toBe(503);
  });
});
