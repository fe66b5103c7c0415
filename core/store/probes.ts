import type Database from 'better-sqlite3';
import type { HistorySample } from '../adapter/prober.js';
import {
  aggregateByDay,
  mergeDaily,
  oldestKeptDay,
  SAMPLE_RETENTION_MS,
  type DailyProbeAggregate,
  type ProbeHistoryStore,
  type ProbeKind,
  type RollupResult,
} from '../probe/history.js';

interface SampleRow {
  at: number;
  kind: ProbeKind;
  value: number | null;
  error: string | null;
}

/**
 * Probe history in SQLite (tables probe_samples and probe_daily, migration v1): every sample for 24 h,
 * then one row per server, UTC day and kind for 30 days. `server_id` holds the outbound name.
 */
export class ProbeRepository implements ProbeHistoryStore {
  private readonly insert;
  private readonly selectSamples;
  private readonly selectDaily;
  private readonly foldOld;
  private readonly deleteOld;
  private readonly deleteOldDays;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare('INSERT INTO probe_samples (server_id, at, kind, value, error) VALUES (?, ?, ?, ?, ?)');
    this.selectSamples = db.prepare(
      `SELECT at, kind, value, error FROM probe_samples
       WHERE server_id = @server AND at >= @since AND (@kind IS NULL OR kind = @kind) ORDER BY at, rowid`,
    );
    this.selectDaily = db.prepare(
      `SELECT day, kind, samples, failures, mean, min, max FROM probe_daily
       WHERE server_id = @server AND day >= @sinceDay AND (@kind IS NULL OR kind = @kind) ORDER BY day, kind`,
    );
    // Merges into a day that may already hold samples rolled up earlier: counts add up, the mean is
    // weighted by successful samples, min/max ignore a side with no success. SET reads the old row.
    this.foldOld = db.prepare(`
      INSERT INTO probe_daily (server_id, day, kind, samples, failures, mean, min, max)
      SELECT server_id, strftime('%Y-%m-%d', at / 1000, 'unixepoch'), kind, COUNT(*), SUM(value IS NULL), AVG(value), MIN(value), MAX(value)
      FROM probe_samples WHERE at < @cutoff GROUP BY 1, 2, 3
      ON CONFLICT (server_id, day, kind) DO UPDATE SET
        samples = samples + excluded.samples,
        failures = failures + excluded.failures,
        mean = CASE WHEN (samples - failures) + (excluded.samples - excluded.failures) = 0 THEN NULL
          ELSE (COALESCE(mean, 0) * (samples - failures) + COALESCE(excluded.mean, 0) * (excluded.samples - excluded.failures))
               / ((samples - failures) + (excluded.samples - excluded.failures)) END,
        min = CASE WHEN min IS NULL THEN excluded.min WHEN excluded.min IS NULL THEN min ELSE MIN(min, excluded.min) END,
        max = CASE WHEN max IS NULL THEN excluded.max WHEN excluded.max IS NULL THEN max ELSE MAX(max, excluded.max) END`);
    this.deleteOld = db.prepare('DELETE FROM probe_samples WHERE at < @cutoff');
    this.deleteOldDays = db.prepare('DELETE FROM probe_daily WHERE day < @oldest');
  }

  record(server: string, sample: HistorySample): void {
    this.insert.run(server, sample.at, sample.kind, sample.value, sample.error ?? null);
  }

  samples(server: string, options: { since?: number; kind?: ProbeKind } = {}): HistorySample[] {
    const rows = this.selectSamples.all({ server, since: options.since ?? 0, kind: options.kind ?? null }) as SampleRow[];
    return rows.map((r) => ({ at: r.at, kind: r.kind, value: r.value, error: r.error }));
  }

  daily(server: string, options: { sinceDay?: string; kind?: ProbeKind } = {}): DailyProbeAggregate[] {
    const sinceDay = options.sinceDay ?? '0000-00-00';
    const stored = this.selectDaily.all({ server, sinceDay, kind: options.kind ?? null }) as DailyProbeAggregate[];
    const live = aggregateByDay(this.samples(server, { kind: options.kind })).filter((a) => a.day >= sinceDay);
    return mergeDaily(stored, live);
  }

  /** One transaction, so a crash half-way never counts a sample twice or loses it. */
  rollup(now: number): RollupResult {
    return this.db.transaction(() => {
      const cutoff = now - SAMPLE_RETENTION_MS;
      this.foldOld.run({ cutoff });
      const rolledUp = this.deleteOld.run({ cutoff }).changes;
      const prunedDays = this.deleteOldDays.run({ oldest: oldestKeptDay(now) }).changes;
      return { rolledUp, prunedDays };
    }).immediate();
  }
}
