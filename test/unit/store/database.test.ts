import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openDatabase, StoreError } from '../../../core/store/database.js';
import { LATEST_VERSION, migrations } from '../../../core/store/migrations.js';
import { Store } from '../../../core/store/index.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-store-'));
  file = path.join(dir, 'switchyard.db');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const sha = (f: string) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');
const tables = (db: Database.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);

describe('database file', () => {
  it('creates the latest schema in WAL mode from nothing', () => {
    const db = openDatabase(file);
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(tables(db)).toEqual(['apps', 'pools', 'probe_daily', 'probe_samples', 'rules', 'servers', 'settings', 'subscriptions', 'traffic_daily']);
    db.close();
  });

  it('migrates from each older version, keeping data and writing a backup first', () => {
    for (let v = 1; v < LATEST_VERSION; v++) {
      const f = path.join(dir, `from-v${v}.db`);
      const old = openDatabase(f, { migrations: migrations.slice(0, v) });
      old.prepare("INSERT INTO settings (key, value) VALUES ('theme', '\"dark\"')").run();
      old.close();
      const db = openDatabase(f);
      expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
      expect(db.prepare("SELECT value FROM settings WHERE key = 'theme'").get()).toEqual({ value: '"dark"' });
      db.close();
      expect(fs.existsSync(`${f}.v${v}.bak`)).toBe(true);
    }
    // Reopening an up-to-date database changes nothing and writes no backup.
    openDatabase(file).close();
    openDatabase(file).close();
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('switchyard.db.v'))).toEqual([]);
  });

  it('upgrades through a later migration: backup of the old file first, then the new schema', () => {
    const next = [...migrations, { version: LATEST_VERSION + 1, description: 'test: server notes', up: (db: Database.Database) => db.exec('ALTER TABLE servers ADD COLUMN note TEXT') }];
    const store = new Store(openDatabase(file));
    store.servers.addManual([{ id: 'keep', name: 'keep', type: 'socks5', config: { port: 1 } }]);
    store.close();
    const db = openDatabase(file, { migrations: next });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION + 1);
    expect(db.prepare("SELECT id, note FROM servers").all()).toEqual([{ id: 'keep', note: null }]);
    db.close();
    const bak = new Database(`${file}.v${LATEST_VERSION}.bak`, { readonly: true });
    expect(bak.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(bak.prepare('SELECT id FROM servers').all()).toEqual([{ id: 'keep' }]);
    bak.close();
    // A failing migration is reported with its version and leaves the schema where it was.
    const broken = [...next, { version: LATEST_VERSION + 2, description: 'test: broken', up: (d: Database.Database) => d.exec('ALTER TABLE nope ADD COLUMN x') }];
    expect(() => openDatabase(file, { migrations: broken })).toThrow(/migrating .* to version \d+ \(test: broken\) failed: no such table: nope/);
    const after = openDatabase(file, { migrations: next });
    expect(after.pragma('user_version', { simple: true })).toBe(LATEST_VERSION + 1);
    after.close();
  });

  it('refuses a database from a newer Switchyard and leaves it untouched', () => {
    const db = new Database(file);
    db.exec('CREATE TABLE future_things (x)');
    db.pragma(`user_version = ${LATEST_VERSION + 1}`);
    db.close();
    const before = sha(file);
    expect(() => openDatabase(file)).toThrow(StoreError);
    try {
      openDatabase(file);
    } catch (err) {
      expect((err as StoreError).code).toBe('DB_FROM_FUTURE');
      expect((err as Error).message).toBe(
        `database ${file} has schema version ${LATEST_VERSION + 1}, newer than this Switchyard understands (${LATEST_VERSION}); it was left untouched — update Switchyard to open it`,
      );
    }
    expect(sha(file)).toBe(before);
  });

  it('refuses a corrupt file and leaves it untouched', () => {
    fs.writeFileSync(file, Buffer.concat([Buffer.from('this is not sqlite '), crypto.randomBytes(8192)]));
    const before = sha(file);
    let caught: unknown;
    try {
      openDatabase(file);
    } catch (err) {
      caught = err;
    }
    expect((caught as StoreError).code).toBe('DB_CORRUPT');
    expect((caught as Error).message).toMatch(/is damaged or not a Switchyard database \(file is not a database\); it was left untouched/);
    expect(sha(file)).toBe(before);
    expect(fs.readdirSync(dir)).toEqual(['switchyard.db']);
  });

  it('serves concurrent readers while the core writes', async () => {
    const store = new Store(openDatabase(file));
    store.settings.set('counter', 0);
    // The reader is a real second connection on another thread, polling while we write.
    const reader = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const Database = require(workerData.module);
       const db = new Database(workerData.file, { readonly: true });
       let reads = 0, last = -1, errors = [];
       const deadline = Date.now() + 1500;
       while (Date.now() < deadline) {
         try {
           const n = db.prepare('SELECT COUNT(*) AS n FROM servers').get().n;
           if (n < last) errors.push('went backwards ' + last + ' -> ' + n);
           last = n; reads++;
         } catch (e) { errors.push(e.message); }
       }
       parentPort.postMessage({ reads, last, errors });`,
      { eval: true, workerData: { file, module: require.resolve('better-sqlite3') } },
    );
    const result = new Promise<{ reads: number; last: number; errors: string[] }>((resolve, reject) => {
      reader.once('message', resolve);
      reader.once('error', reject);
    });
    let written = 0;
    const deadline = Date.now() + 1000;
    while (Date.now() < deadline) {
      store.servers.addManual([{ id: `s${written}`, name: `s${written}`, type: 'socks5', config: { server: '127.0.0.1', port: 1080 } }]);
      written++;
      await new Promise((r) => setImmediate(r));
    }
    const r = await result;
    expect(r.errors).toEqual([]);
    expect(r.reads).toBeGreaterThan(10);
    expect(r.last).toBeGreaterThan(0);
    expect(r.last).toBeLessThanOrEqual(written);
    store.close();
  });
});

import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
