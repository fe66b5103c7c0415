import { beforeEach, describe, expect, it } from 'vitest';
import { useFreshStore } from '../../helpers/temp-store.js';

const { store } = useFreshStore('servers');
beforeEach(() => {
  store.db.prepare("INSERT INTO subscriptions (id, name, url, created_at) VALUES ('sub1', 'Provider', 'http://127.0.0.1/sub', 0)").run();
});

const server = (id: string, port: number) => ({ id, name: `node ${id}`, type: 'ss', config: { name: `node ${id}`, type: 'ss', server: '127.0.0.1', port } });

describe('server repository', () => {
  it('keeps the user choices of a server across a refresh and drops servers that left', () => {
    store.servers.replaceForSubscription('sub1', [server('a', 1), server('b', 2), server('c', 3)], 1000);
    expect(store.servers.setEnabled('b', false)).toBe(true);
    expect(store.servers.setWeight('b', 7)).toBe(true);
    store.servers.replaceForSubscription('sub1', [server('b', 20), server('d', 4)], 2000);
    const list = store.servers.listForSubscription('sub1');
    expect(list.map((s) => s.id)).toEqual(['b', 'd']);
    expect(list[0]).toMatchObject({ enabled: false, weight: 7, createdAt: 1000, updatedAt: 2000, position: 0 });
    expect(list[0]!.config).toEqual({ name: 'node b', type: 'ss', server: '127.0.0.1', port: 20 });
  });

  it('keeps manual servers apart from subscriptions and deletes them with their subscription', () => {
    store.servers.addManual([server('m1', 9)]);
    store.servers.replaceForSubscription('sub1', [server('a', 1)]);
    expect(store.servers.list().map((s) => s.id)).toEqual(['m1', 'a']);
    store.db.prepare("DELETE FROM subscriptions WHERE id = 'sub1'").run();
    expect(store.servers.list().map((s) => s.id)).toEqual(['m1']);
  });

  it('stores settings as JSON', () => {
    store.settings.set('theme', 'dark');
    store.settings.set('ports', { mixed: 7890 });
    expect(store.settings.get('ports')).toEqual({ mixed: 7890 });
    expect(store.settings.all()).toEqual({ ports: { mixed: 7890 }, theme: 'dark' });
  });
});
