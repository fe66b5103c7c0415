import { describe, expect, it } from 'vitest';
import { useFreshStore } from '../../helpers/temp-store.js';

const { store } = useFreshStore('subs');

describe('subscription repository', () => {
  it('adds with defaults, updates only the fields given, and finds by URL', () => {
    const sub = store.subscriptions.add({ name: 'A', url: 'https://sub.example.com/a?token=1' }, 1000);
    expect(sub).toMatchObject({ name: 'A', userAgent: null, intervalS: null, viaProxy: false, enabled: true, lastFetchAt: null, lastSuccessAt: null, createdAt: 1000 });
    const changed = store.subscriptions.update(sub.id, { intervalS: 3600, viaProxy: true, userAgent: 'UA' })!;
    expect(changed).toMatchObject({ name: 'A', intervalS: 3600, viaProxy: true, userAgent: 'UA' });
    expect(store.subscriptions.update(sub.id, { intervalS: null, userAgent: null })).toMatchObject({ intervalS: null, userAgent: null, viaProxy: true });
    expect(store.subscriptions.findByUrl('https://sub.example.com/a?token=1')!.id).toBe(sub.id);
    expect(store.subscriptions.update('nope', { name: 'x' })).toBeUndefined();
  });

  it('records success (headers, clearing the error) and failure (error and attempt time only)', () => {
    const sub = store.subscriptions.add({ name: 'A', url: 'https://x/a' });
    store.subscriptions.recordSuccess(sub.id, { title: 'T', upload: 1, download: 2, total: 3, expire: 4, updateIntervalH: 12 }, 5000);
    store.subscriptions.recordFailure(sub.id, 'HTTP 500', 6000);
    expect(store.subscriptions.get(sub.id)).toMatchObject({ title: 'T', upload: 1, total: 3, updateIntervalH: 12, lastFetchAt: 6000, lastSuccessAt: 5000, lastError: 'HTTP 500' });
    // A later success without a title keeps the old one; the userinfo follows the latest answer.
    store.subscriptions.recordSuccess(sub.id, { upload: 9 }, 7000);
    expect(store.subscriptions.get(sub.id)).toMatchObject({ title: 'T', upload: 9, total: null, updateIntervalH: null, lastFetchAt: 7000, lastSuccessAt: 7000, lastError: null });
  });

  it('counts servers per subscription and deletes them with it', () => {
    const sub = store.subscriptions.add({ name: 'A', url: 'https://x/a' });
    store.servers.replaceForSubscription(sub.id, [
      { id: 'a', name: 'a', type: 'ss', config: {} },
      { id: 'b', name: 'b', type: 'tuic', config: {}, unsupportedReason: 'not yet' },
    ]);
    expect(store.subscriptions.serverCounts().get(sub.id)).toEqual({ servers: 2, unsupported: 1 });
    expect(store.subscriptions.delete(sub.id)).toBe(true);
    expect(store.servers.list()).toEqual([]);
    expect(store.subscriptions.list()).toEqual([]);
  });
});
