import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryProbeHistory, type ProbeHistoryStore } from '../../../core/probe/history.js';
import { ProbeRepository } from '../../../core/store/probes.js';
import { openStore, type Store } from '../../../core/store/index.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** 2025-06-10 06:00 UTC */
const T0 = Date.UTC(2025, 5, 10, 6);

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function sqliteHistory(): { history: ProbeRepository; store: Store; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-probes-'));
  dirs.push(dir);
  const store = openStore(dir);
  stores.push(store);
  return { history: new ProbeRepository(store.db), store, dir };
}

const kinds: [string, () => ProbeHistoryStore][] = [
  ['SQLite (real file in a temp dir)', () => sqliteHistory().history],
  ['memory', () => new MemoryProbeHistory()],
];

describe.each(kinds)('probe history in %s', (_label, make) => {
  it('writes samples and reads them back by server, kind and time, oldest first', () => {
    const h = make();
    h.record('jp1', { at: T0 + 2000, kind: 'latency', value: 120, error: null });
    h.record('jp1', { at: T0 + 1000, kind: 'latency', value: null, error: 'TIMEOUT' });
    h.record('jp1', { at: T0 + 3000, kind: 'speed', value: 48.5, error: null });
    h.record('hk1', { at: T0 + 1500, kind: 'latency', value: 60, error: null });
    expect(h.samples('jp1')).toEqual([
      { at: T0 + 1000, kind: 'latency', value: null, error: 'TIMEOUT' },
      { at: T0 + 2000, kind: 'latency', value: 120, error: null },
      { at: T0 + 3000, kind: 'speed', value: 48.5, error: null },
    ]);
    expect(h.samples('jp1', { kind: 'latency', since: T0 + 1500 }).map((s) => s.value)).toEqual([120]);
    expect(h.samples('nobody')).toEqual([]);
  });

  it('rolls samples older than 24 h into daily rows, merging runs, and keeps daily rows for 30 days', () => {
    const h = make();
    // day 1 (2025-06-10): three latency samples, one failed
    h.record('jp1', { at: T0, kind: 'latency', value: 100, error: null });
    h.record('jp1', { at: T0 + HOUR, kind: 'latency', value: 300, error: null });
    h.record('jp1', { at: T0 + 2 * HOUR, kind: 'latency', value: null, error: 'TIMEOUT' });
    // nothing is old enough yet
    expect(h.rollup(T0 + 3 * HOUR)).toEqual({ rolledUp: 0, prunedDays: 0 });
    // the daily view already counts the live samples
    expect(h.daily('jp1')).toEqual([{ day: '2025-06-10', kind: 'latency', samples: 3, failures: 1, mean: 200, min: 100, max: 300 }]);

    // 24 h + 90 min later the first two are past the 24 h retention
    expect(h.rollup(T0 + DAY + 90 * 60_000)).toEqual({ rolledUp: 2, prunedDays: 0 });
    expect(h.samples('jp1').map((s) => s.at)).toEqual([T0 + 2 * HOUR]);
    // the view is unchanged: rolled-up part and live part add up to the same day
    expect(h.daily('jp1')).toEqual([{ day: '2025-06-10', kind: 'latency', samples: 3, failures: 1, mean: 200, min: 100, max: 300 }]);

    // a later run folds the third sample into the same row (merge, not overwrite)
    h.record('jp1', { at: T0 + DAY, kind: 'latency', value: 50, error: null });
    expect(h.rollup(T0 + 3 * DAY)).toEqual({ rolledUp: 2, prunedDays: 0 });
    expect(h.samples('jp1')).toEqual([]);
    expect(h.daily('jp1')).toEqual([
      { day: '2025-06-10', kind: 'latency', samples: 3, failures: 1, mean: 200, min: 100, max: 300 },
      { day: '2025-06-11', kind: 'latency', samples: 1, failures: 0, mean: 50, min: 50, max: 50 },
    ]);
    expect(h.daily('jp1', { sinceDay: '2025-06-11' }).map((d) => d.day)).toEqual(['2025-06-11']);

    // 30 days after 2025-06-10 it goes; 2025-06-11 stays one more day
    expect(h.rollup(Date.UTC(2025, 6, 10, 12))).toEqual({ rolledUp: 0, prunedDays: 0 });
    expect(h.rollup(Date.UTC(2025, 6, 11, 0, 1))).toEqual({ rolledUp: 0, prunedDays: 1 });
    expect(h.daily('jp1').map((d) => d.day)).toEqual(['2025-06-11']);
  });

  it('keeps a day of failures only as counts (no mean)', () => {
    const h = make();
    h.record('x', { at: T0, kind: 'latency', value: null, error: 'TIMEOUT' });
    h.rollup(T0 + 2 * DAY);
    expect(h.daily('x')).toEqual([{ day: '2025-06-10', kind: 'latency', samples: 1, failures: 1, mean: null, min: null, max: null }]);
  });
});

describe('ProbeRepository', () => {
  it('keeps history across reopening the database file', () => {
    const { history, store, dir } = sqliteHistory();
    history.record('jp1', { at: T0, kind: 'latency', value: 80, error: null });
    history.rollup(T0 + 2 * DAY);
    history.record('jp1', { at: T0 + 2 * DAY, kind: 'latency', value: 90, error: null });
    store.close();
    stores.splice(stores.indexOf(store), 1);
    const again = openStore(dir);
    stores.push(again);
    const reopened = new ProbeRepository(again.db);
    expect(reopened.samples('jp1').map((s) => s.value)).toEqual([90]);
    expect(reopened.daily('jp1').map((d) => [d.day, d.mean])).toEqual([
      ['2025-06-10', 80],
      ['2025-06-12', 90],
    ]);
    const raw = again.db.prepare('SELECT server_id, day, samples FROM probe_daily').all();
    expect(raw).toEqual([{ server_id: 'jp1', day: '2025-06-10', samples: 1 }]);
  });
});
