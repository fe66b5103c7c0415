import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionMeta } from '../../../core/adapter/outbound.js';
import { AppCatalog, APP_RETENTION_MS, MemoryAppStore, type AppStore } from '../../../core/route/apps.js';
import { AppRepository } from '../../../core/store/apps.js';
import { openStore, type Store } from '../../../core/store/index.js';
import { TrafficStats } from '../../../core/stats/traffic.js';
import { ConnectionTracker } from '../../../core/stats/tracker.js';

let dir: string;
let db: Store | undefined;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-apps-'));
});
afterEach(() => {
  db?.close();
  db = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

const DAY = 24 * 3600 * 1000;
let n = 0;
const meta = (process?: ConnectionMeta['process']): ConnectionMeta => ({
  id: `c${n++}`,
  network: 'tcp',
  inbound: 'socks5',
  source: { address: '127.0.0.1', port: 40000 + n },
  destination: { host: 'example.com', port: 443 },
  process,
  startedAt: 0,
});

const CURL = { name: 'curl', path: '/usr/bin/curl', pid: 10 };
const APP = { name: 'app.exe', pid: 11 }; // no path, as on Windows

const stores: [string, () => AppStore][] = [
  ['memory', () => new MemoryAppStore()],
  [
    'sqlite',
    () => {
      db = openStore(dir);
      return new AppRepository(db.db);
    },
  ],
];

describe.each(stores)('app catalog over the %s store', (_name, makeStore) => {
  it('adds up finished connections per application, and shows open ones live', () => {
    let now = 10 * DAY;
    const store = makeStore();
    const catalog = new AppCatalog({ store, now: () => now });
    const tracker = new ConnectionTracker(new TrafficStats());
    tracker.onClosed((c) => catalog.recordClosed(c));
    const a = tracker.track(meta(CURL), ['DIRECT'], () => {});
    a.addUp(100);
    a.addDown(1000);
    a.finish();
    const b = tracker.track(meta(CURL), ['DIRECT'], () => {});
    b.addUp(1);
    b.finish();
    const unknown = tracker.track(meta(undefined), ['DIRECT'], () => {});
    unknown.addUp(5);
    unknown.finish();
    now += 1000;
    const open = tracker.track(meta(APP), ['pool'], () => {});
    open.addDown(7);
    const list = catalog.list(tracker.list());
    expect(list).toEqual([
      { key: 'app.exe', name: 'app.exe', path: null, firstSeen: 0, lastSeen: now, up: 0, down: 7, connections: 1, activeConnections: 1, policy: 'default', target: null },
      { key: '/usr/bin/curl', name: 'curl', path: '/usr/bin/curl', firstSeen: 10 * DAY, lastSeen: 10 * DAY, up: 101, down: 1000, connections: 2, activeConnections: 0, policy: 'default', target: null },
    ]);
    // What list() flushed is in the store itself.
    expect(store.list(0).map((r) => [r.key, r.connections, r.up, r.down])).toEqual([['/usr/bin/curl', 2, 101, 1000]]);
  });

  it('lists an application for 7 days after it was last seen, and a policy keeps it for good', () => {
    let now = 100 * DAY;
    const catalog = new AppCatalog({ store: makeStore(), now: () => now });
    const tracker = new ConnectionTracker(new TrafficStats());
    tracker.onClosed((c) => catalog.recordClosed(c));
    tracker.track(meta(CURL), ['DIRECT'], () => {}).finish();
    tracker.track(meta(APP), ['DIRECT'], () => {}).finish();
    catalog.setPolicy('app.exe', 'block', null);
    now += APP_RETENTION_MS - 1;
    expect(catalog.list([]).map((a) => a.key).sort()).toEqual(['/usr/bin/curl', 'app.exe']);
    now += 2;
    expect(catalog.list([]).map((a) => a.key)).toEqual(['app.exe']);
  });

  it('policies become rules ahead of the profile: PROCESS-PATH when the path is known, else PROCESS-NAME', () => {
    const store = makeStore();
    const catalog = new AppCatalog({ store });
    const tracker = new ConnectionTracker(new TrafficStats());
    tracker.onClosed((c) => catalog.recordClosed(c));
    tracker.track(meta(CURL), ['DIRECT'], () => {}).finish();
    catalog.flush();
    let changes = 0;
    catalog.onPolicyChange(() => changes++);
    catalog.setPolicy('/usr/bin/curl', 'pool', 'auto');
    catalog.setPolicy('app.exe', 'block', null);
    catalog.setPolicy('/opt/tool/bin/fetcher', 'direct', null); // never seen: named by its path
    expect(catalog.rules()).toEqual([
      { type: 'PROCESS-PATH', payload: '/opt/tool/bin/fetcher', target: 'DIRECT', options: [] },
      { type: 'PROCESS-PATH', payload: '/usr/bin/curl', target: 'auto', options: [] },
      { type: 'PROCESS-NAME', payload: 'app.exe', target: 'REJECT', options: [] },
    ]);
    expect(catalog.policyOf('/usr/bin/curl')).toEqual({ policy: 'pool', target: 'auto' });
    expect(changes).toBe(3);
    // A new catalog over the same store has the same policies (the app restarted).
    expect(new AppCatalog({ store }).rules()).toEqual(catalog.rules());
    catalog.setPolicy('/usr/bin/curl', 'default', null);
    expect(catalog.rules().map((r) => r.payload)).toEqual(['/opt/tool/bin/fetcher', 'app.exe']);
    expect(store.list(0).find((a) => a.key === '/usr/bin/curl')).toMatchObject({ policy: 'default', target: null, connections: 1 });
  });
});

describe('sqlite app store', () => {
  it('survives closing and reopening the database', () => {
    db = openStore(dir);
    const repo = new AppRepository(db.db);
    repo.addUsage([{ key: '/usr/bin/curl', name: 'curl', path: '/usr/bin/curl', at: 5, up: 1, down: 2, connections: 1 }]);
    repo.addUsage([{ key: '/usr/bin/curl', name: 'curl', path: '/usr/bin/curl', at: 9, up: 10, down: 20, connections: 2 }]);
    repo.setPolicy({ key: '/usr/bin/curl', name: 'curl', path: '/usr/bin/curl' }, 'pool', 'auto', 9);
    db.close();
    db = openStore(dir);
    expect(new AppRepository(db.db).list(0)).toEqual([
      { key: '/usr/bin/curl', name: 'curl', path: '/usr/bin/curl', firstSeen: 5, lastSeen: 9, up: 11, down: 22, connections: 3, policy: 'pool', target: 'auto' },
    ]);
  });
});
