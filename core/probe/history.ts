import type { HistorySample } from '../adapter/prober.js';

/** Raw samples are kept this long... */
export const SAMPLE_RETENTION_MS = 24 * 60 * 60 * 1000;
/** ...then folded into one row per server, UTC day and kind, kept this many days. */
export const DAILY_RETENTION_DAYS = 30;

export type ProbeKind = HistorySample['kind'];

/** One server's probes of one kind on one UTC day. mean/min/max are over the successful samples. */
export interface DailyProbeAggregate {
  day: string;
  kind: ProbeKind;
  samples: number;
  failures: number;
  mean: number | null;
  min: number | null;
  max: number | null;
}

export interface RollupResult {
  /** Raw samples folded into daily rows and removed. */
  rolledUp: number;
  /** Daily rows removed for being older than the retention. */
  prunedDays: number;
}

/**
 * Where probe results are kept: SQLite (core/store/probes.ts) when the app has a data directory,
 * memory otherwise (MemoryProbeHistory). Servers are keyed by outbound name.
 */
export interface ProbeHistoryStore {
  record(server: string, sample: HistorySample): void;
  /** Samples oldest first. */
  samples(server: string, options?: { since?: number; kind?: ProbeKind }): HistorySample[];
  /**
   * Per-day aggregates oldest first: the rolled-up rows merged with what the raw samples of the last
   * 24 h add to their days.
   */
  daily(server: string, options?: { sinceDay?: string; kind?: ProbeKind }): DailyProbeAggregate[];
  /** Folds samples older than 24 h into daily rows and drops them; drops daily rows past 30 days. */
  rollup(now: number): RollupResult;
}

export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The oldest day still kept at `now`. */
export function oldestKeptDay(now: number): string {
  return utcDay(now - DAILY_RETENTION_DAYS * 24 * 60 * 60 * 1000);
}

/** Aggregates of samples (one kind) per UTC day. */
export function aggregateByDay(samples: readonly HistorySample[]): DailyProbeAggregate[] {
  const byKey = new Map<string, DailyProbeAggregate>();
  for (const s of samples) {
    const key = `${utcDay(s.at)}|${s.kind}`;
    const one: DailyProbeAggregate = { day: utcDay(s.at), kind: s.kind, samples: 1, failures: s.value === null ? 1 : 0, mean: s.value, min: s.value, max: s.value };
    const prev = byKey.get(key);
    byKey.set(key, prev ? mergeAggregates(prev, one) : one);
  }
  return sortAggregates([...byKey.values()]);
}

/** Two aggregates of the same day and kind as one; the mean is weighted by successful samples. */
export function mergeAggregates(a: DailyProbeAggregate, b: DailyProbeAggregate): DailyProbeAggregate {
  const okA = a.samples - a.failures;
  const okB = b.samples - b.failures;
  const ok = okA + okB;
  const pick = (x: number | null, y: number | null, f: (p: number, q: number) => number) => (x === null ? y : y === null ? x : f(x, y));
  return {
    day: a.day,
    kind: a.kind,
    samples: a.samples + b.samples,
    failures: a.failures + b.failures,
    mean: ok === 0 ? null : ((a.mean ?? 0) * okA + (b.mean ?? 0) * okB) / ok,
    min: pick(a.min, b.min, Math.min),
    max: pick(a.max, b.max, Math.max),
  };
}

/** Stored rows and live aggregates merged per day and kind, oldest first. */
export function mergeDaily(stored: readonly DailyProbeAggregate[], live: readonly DailyProbeAggregate[]): DailyProbeAggregate[] {
  const byKey = new Map<string, DailyProbeAggregate>();
  for (const a of [...stored, ...live]) {
    const key = `${a.day}|${a.kind}`;
    const prev = byKey.get(key);
    byKey.set(key, prev ? mergeAggregates(prev, a) : a);
  }
  return sortAggregates([...byKey.values()]);
}

const sortAggregates = (list: DailyProbeAggregate[]) => list.sort((a, b) => (a.day === b.day ? a.kind.localeCompare(b.kind) : a.day < b.day ? -1 : 1));

/** Per server and kind, at most this many raw samples in memory (24 h at a 60 s interval is 1,440). */
export const MEMORY_SAMPLE_CAP = 2000;

/**
 * History without a database (the headless CLI without --data-dir): the same retention rules, kept in
 * memory, so trends and the API's history work; it is gone when the process exits.
 */
export class MemoryProbeHistory implements ProbeHistoryStore {
  private readonly raw = new Map<string, HistorySample[]>();
  private readonly days = new Map<string, DailyProbeAggregate[]>();

  record(server: string, sample: HistorySample): void {
    let list = this.raw.get(server);
    if (!list) this.raw.set(server, (list = []));
    list.push({ ...sample });
    const sameKind = list.filter((s) => s.kind === sample.kind);
    if (sameKind.length > MEMORY_SAMPLE_CAP) list.splice(list.indexOf(sameKind[0]!), 1);
  }

  samples(server: string, options: { since?: number; kind?: ProbeKind } = {}): HistorySample[] {
    return (this.raw.get(server) ?? [])
      .filter((s) => (options.since === undefined || s.at >= options.since) && (options.kind === undefined || s.kind === options.kind))
      .sort((a, b) => a.at - b.at)
      .map((s) => ({ ...s }));
  }

  daily(server: string, options: { sinceDay?: string; kind?: ProbeKind } = {}): DailyProbeAggregate[] {
    const keep = (a: DailyProbeAggregate) => (options.sinceDay === undefined || a.day >= options.sinceDay) && (options.kind === undefined || a.kind === options.kind);
    return mergeDaily((this.days.get(server) ?? []).filter(keep), aggregateByDay(this.samples(server, { kind: options.kind })).filter(keep));
  }

  rollup(now: number): RollupResult {
    const cutoff = now - SAMPLE_RETENTION_MS;
    const oldest = oldestKeptDay(now);
    let rolledUp = 0;
    let prunedDays = 0;
    for (const [server, list] of this.raw) {
      const old = list.filter((s) => s.at < cutoff);
      if (old.length === 0) continue;
      rolledUp += old.length;
      this.days.set(server, mergeDaily(this.days.get(server) ?? [], aggregateByDay(old)));
      const rest = list.filter((s) => s.at >= cutoff);
      if (rest.length) this.raw.set(server, rest);
      else this.raw.delete(server);
    }
    for (const [server, rows] of this.days) {
      const kept = rows.filter((r) => r.day >= oldest);
      prunedDays += rows.length - kept.length;
      if (kept.length) this.days.set(server, kept);
      else this.days.delete(server);
    }
    return { rolledUp, prunedDays };
  }
}
