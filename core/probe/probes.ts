import type { Endpoint, Outbound } from '../adapter/outbound.js';
import type {
  HistorySample,
  LatencyResult,
  LatencyTestOptions,
  OutboundHealth,
  ProbeService,
  SpeedResult,
  SpeedTestOptions,
} from '../adapter/prober.js';
import { type Clock, systemClock } from '../adapter/clock.js';
import type { Pool } from '../balance/pool.js';
import { healthScoreOf } from '../balance/health-score.js';
import type { TrafficStats } from '../stats/traffic.js';
import { type Logger, silentLogger } from '../logger.js';
import { UnknownProbeTargetError } from './errors.js';
import { ConcurrencyLimiter } from './limiter.js';
import { DEFAULT_LATENCY_TIMEOUT_MS, DEFAULT_LATENCY_URL, measureLatency, type LatencyMode, type LatencyProbe } from './latency.js';
import { DEFAULT_SPEED_MAX_BYTES, DEFAULT_SPEED_MAX_MS, DEFAULT_SPEED_URL, measureSpeed, type SpeedProbe } from './speed.js';
import { LatencyWindowTracker, DEFAULT_WINDOW_SIZE } from './window.js';
import { MemoryProbeHistory, SAMPLE_RETENTION_MS, type ProbeHistoryStore, type DailyProbeAggregate } from './history.js';
import { trendOf, type Trend } from './trend.js';

/** The latency test a pool asks for (its `url`, `timeout`...). */
export interface PoolProbeSettings {
  url: string;
  timeoutMs: number;
  expectedStatus?: readonly number[];
  mode: LatencyMode;
}

export interface ProbeDefaults extends PoolProbeSettings {
  speedUrl: string;
  speedMaxBytes: number;
  speedMaxMs: number;
  /** Budget for a speed test's dial and response headers. */
  speedTimeoutMs: number;
}

export const PROBE_DEFAULTS: Readonly<ProbeDefaults> = Object.freeze({
  url: DEFAULT_LATENCY_URL,
  timeoutMs: DEFAULT_LATENCY_TIMEOUT_MS,
  mode: 'http',
  speedUrl: DEFAULT_SPEED_URL,
  speedMaxBytes: DEFAULT_SPEED_MAX_BYTES,
  speedMaxMs: DEFAULT_SPEED_MAX_MS,
  speedTimeoutMs: 10_000,
});

export interface ProbesOptions {
  outbounds: ReadonlyMap<string, Outbound>;
  pools: ReadonlyMap<string, Pool>;
  /** Latency settings per pool name; pools not listed use the defaults. */
  poolSettings?: ReadonlyMap<string, PoolProbeSettings>;
  /** A server's own host:port, for TCP ping (the `server`/`port` of its proxies entry). */
  endpointOf?: (name: string) => Endpoint | undefined;
  defaults?: Partial<ProbeDefaults>;
  /** Where samples go; in memory when absent. */
  history?: ProbeHistoryStore;
  /** Active connections per outbound for the health score (engine.stats). */
  stats?: TrafficStats;
  clock?: Clock;
  logger?: Logger;
  /** Latency tests running at once, scheduled and on demand together (default 16). */
  concurrency?: number;
  /** Speed tests running at once (default 1: they would share, and so halve, the same uplink). */
  speedConcurrency?: number;
  /** Latency results in each outbound's window (default 10). */
  windowSize?: number;
}

interface OutboundState {
  alive?: boolean;
  latest?: LatencyResult;
  window: LatencyWindowTracker;
  speed?: SpeedResult;
  trend?: { value: Trend; at: number };
}

/**
 * A trend compares hours of samples, so it is recomputed at most this often: the API asks for every
 * server's health once a second, and reading 24 h of samples per server each time would be waste.
 */
export const TREND_CACHE_MS = 60_000;

/**
 * The probe service the controller API and the scheduler use (ProbeService). Runs latency and speed tests
 * through outbounds within a shared concurrency cap, keeps each outbound's latest result and window,
 * tells every pool containing it (Pool.setProbeState: a failed probe takes the member out until one
 * succeeds) and writes each sample to the history store.
 */
export class Probes implements ProbeService {
  readonly limiter: ConcurrencyLimiter;
  readonly speedLimiter: ConcurrencyLimiter;
  readonly historyStore: ProbeHistoryStore;
  private readonly defaults: ProbeDefaults;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly states = new Map<string, OutboundState>();
  private readonly inFlight = new Map<string, Promise<LatencyResult>>();
  private readonly listeners = new Set<(result: LatencyResult | SpeedResult, kind: 'latency' | 'speed') => void>();

  constructor(private readonly options: ProbesOptions) {
    this.defaults = { ...PROBE_DEFAULTS, ...options.defaults };
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.historyStore = options.history ?? new MemoryProbeHistory();
    this.limiter = new ConcurrencyLimiter(options.concurrency ?? 16);
    this.speedLimiter = new ConcurrencyLimiter(options.speedConcurrency ?? 1);
  }

  /**
   * The pools that hold an outbound now. Asked each time rather than kept: proxy-providers add and replace
   * members after start (Pool.setMembers), and their servers' results must reach their pools too.
   */
  private poolsHolding(name: string): Pool[] {
    const out: Pool[] = [];
    for (const pool of this.options.pools.values()) {
      const { members, backup } = pool.memberNames();
      if (members.includes(name) || backup.includes(name)) out.push(pool);
    }
    return out;
  }

  /**
   * One latency test now. Settings: `options`, else those of the first pool holding the outbound, else the
   * defaults. The same test already running is joined rather than run twice.
   */
  async testLatency(outbound: string, options: LatencyTestOptions = {}): Promise<LatencyResult> {
    const result = await this.measure(outbound, options);
    this.tellPools([result]);
    return result;
  }

  /** Every member (and backup) of a pool now, with the pool's settings unless `options` says otherwise. */
  testPool(pool: string, options: LatencyTestOptions = {}): Promise<LatencyResult[]> {
    const p = this.options.pools.get(pool);
    if (!p) return Promise.reject(new UnknownProbeTargetError('pool', pool));
    const settings = this.settingsFor(pool);
    const { members, backup } = p.memberNames();
    const merged: LatencyTestOptions = {
      url: options.url ?? settings.url,
      timeoutMs: options.timeoutMs ?? settings.timeoutMs,
      expectedStatus: options.expectedStatus ?? (settings.expectedStatus ? [...settings.expectedStatus] : undefined),
      mode: options.mode ?? settings.mode,
    };
    const names = [...new Set([...members, ...backup])];
    return Promise.all(names.map((name) => this.measure(name, merged))).then((results) => {
      this.tellPools(results, { wholePool: true });
      return results;
    });
  }

  /** One bounded download now; waits for any speed test already running (see speedConcurrency). */
  async testSpeed(outbound: string, options: SpeedTestOptions = {}): Promise<SpeedResult> {
    const target = this.outbound(outbound);
    const probe: SpeedProbe = {
      url: options.url ?? this.defaults.speedUrl,
      maxBytes: options.maxBytes ?? this.defaults.speedMaxBytes,
      maxMs: options.maxMs ?? this.defaults.speedMaxMs,
      timeoutMs: this.defaults.speedTimeoutMs,
    };
    const result = await this.speedLimiter.run(() => measureSpeed(target, probe, this.clock));
    this.recordSpeed(result);
    return result;
  }

  health(outbound: string): OutboundHealth | undefined {
    if (!this.options.outbounds.has(outbound)) return undefined;
    const state = this.states.get(outbound);
    const window = state?.window.summary() ?? { samples: 0, loss: 0 };
    const health: OutboundHealth = { name: outbound, alive: state?.alive, latest: state?.latest, window, speed: state?.speed };
    if (state?.latest) {
      // Outside a pool there is no passive failure rate: the probes' own loss stands in for it.
      health.score = healthScoreOf({
        latencyMs: state.latest.ok ? state.latest.latencyMs : window.meanMs,
        activeConnections: this.options.stats?.sample(outbound).active ?? 0,
        failureRate: window.loss,
        speedMbps: state.speed?.ok ? state.speed.mbps : undefined,
      });
      health.trend = this.trend(outbound, state);
    }
    return health;
  }

  history(outbound: string, options: { since?: number; kind?: 'latency' | 'speed' } = {}): HistorySample[] {
    return this.safeHistory(outbound, options);
  }

  private trend(outbound: string, state: OutboundState): Trend {
    const now = this.clock.now();
    if (state.trend && now - state.trend.at < TREND_CACHE_MS && now >= state.trend.at) return state.trend.value;
    const value = trendOf(this.safeHistory(outbound, { since: now - SAMPLE_RETENTION_MS, kind: 'latency' }), now);
    state.trend = { value, at: now };
    return value;
  }

  /** Daily aggregates (30 days) of one outbound, for the history view; not part of ProbeService yet. */
  daily(outbound: string, options: { sinceDay?: string; kind?: 'latency' | 'speed' } = {}): DailyProbeAggregate[] {
    try {
      return this.historyStore.daily(outbound, options);
    } catch (err) {
      this.logger.warn({ outbound, err: (err as Error).message }, 'could not read probe history');
      return [];
    }
  }

  /** Every latency and speed result as it comes in (the API's live stream). Returns the unsubscribe. */
  onResult(listener: (result: LatencyResult | SpeedResult, kind: 'latency' | 'speed') => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The settings a pool's scheduled rounds use. */
  settingsFor(pool: string | undefined): PoolProbeSettings {
    return (pool !== undefined ? this.options.poolSettings?.get(pool) : undefined) ?? this.defaults;
  }

  private latencyProbe(outbound: string, base: PoolProbeSettings, options: LatencyTestOptions): LatencyProbe {
    return {
      url: options.url ?? base.url,
      timeoutMs: options.timeoutMs ?? base.timeoutMs,
      expectedStatus: options.expectedStatus ?? base.expectedStatus,
      mode: options.mode ?? base.mode,
      endpoint: this.options.endpointOf?.(outbound),
    };
  }

  private outbound(name: string): Outbound {
    const o = this.options.outbounds.get(name);
    if (!o) throw new UnknownProbeTargetError('outbound', name);
    return o;
  }

  private state(name: string): OutboundState {
    let s = this.states.get(name);
    if (!s) this.states.set(name, (s = { window: new LatencyWindowTracker(this.options.windowSize ?? DEFAULT_WINDOW_SIZE) }));
    return s;
  }

  /** Runs (or joins) one latency test and records it in the outbound's state and history. */
  private measure(outbound: string, options: LatencyTestOptions): Promise<LatencyResult> {
    const target = this.options.outbounds.get(outbound);
    if (!target) return Promise.reject(new UnknownProbeTargetError('outbound', outbound));
    const probe = this.latencyProbe(outbound, this.settingsFor(this.poolsHolding(outbound)[0]?.name), options);
    const key = JSON.stringify([outbound, probe.url, probe.mode, probe.timeoutMs, probe.expectedStatus ?? null]);
    const running = this.inFlight.get(key);
    if (running) return running;
    const test = this.limiter
      .run(() => measureLatency(target, probe, this.clock))
      .then((result) => {
        this.recordLatency(result);
        return result;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, test);
    return test;
  }

  /**
   * Hands results to every pool holding each member (alive is a property of the server, whichever pool
   * asked): a failed probe takes the member out until one succeeds. Except when a whole pool failed in one
   * round: then the test URL or our own network is the likelier culprit, and taking every member out would
   * turn a blocked test URL into an outage, so the pools keep their members and passive health decides
   * (mihomo likewise falls back to its first proxy when none is alive). health() still reports them down.
   */
  private tellPools(results: readonly LatencyResult[], round: { wholePool?: boolean } = {}): void {
    if (round.wholePool && results.length > 0 && results.every((r) => !r.ok)) {
      this.logger.warn({ members: results.length, code: results[0]!.error?.code }, 'every member failed its probe: pool left as it was');
      return;
    }
    for (const result of results) {
      for (const pool of this.poolsHolding(result.name)) {
        pool.setProbeState(result.name, result.ok ? { alive: true, latencyMs: result.latencyMs } : { alive: false });
      }
    }
  }

  private recordLatency(result: LatencyResult): void {
    const state = this.state(result.name);
    state.latest = result;
    state.alive = result.ok;
    state.window.add(result);
    if (!result.ok) this.logger.debug({ outbound: result.name, code: result.error?.code }, 'latency probe failed');
    this.store(result.name, { at: result.at, kind: 'latency', value: result.ok ? result.latencyMs! : null, error: result.error?.code ?? null });
    this.emit(result, 'latency');
  }

  private recordSpeed(result: SpeedResult): void {
    this.state(result.name).speed = result;
    if (result.ok) for (const pool of this.poolsHolding(result.name)) pool.setProbeState(result.name, { speedMbps: result.mbps });
    this.store(result.name, { at: result.at, kind: 'speed', value: result.ok ? result.mbps! : null, error: result.error?.code ?? null });
    this.emit(result, 'speed');
  }

  /** A history store that fails (disk full, database gone) must not fail the probe or the pool. */
  private store(name: string, sample: HistorySample): void {
    try {
      this.historyStore.record(name, sample);
    } catch (err) {
      this.logger.warn({ outbound: name, err: (err as Error).message }, 'could not record a probe sample');
    }
  }

  private safeHistory(name: string, options: { since?: number; kind?: 'latency' | 'speed' }): HistorySample[] {
    try {
      return this.historyStore.samples(name, options);
    } catch (err) {
      this.logger.warn({ outbound: name, err: (err as Error).message }, 'could not read probe history');
      return [];
    }
  }

  private emit(result: LatencyResult | SpeedResult, kind: 'latency' | 'speed'): void {
    for (const l of this.listeners) {
      try {
        l(result, kind);
      } catch (err) {
        this.logger.error({ err: (err as Error).message }, 'probe result listener threw');
      }
    }
  }
}
