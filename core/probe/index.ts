import type { Outbound } from '../adapter/outbound.js';
import type { Clock } from '../adapter/clock.js';
import type { Profile } from '../config/types.js';
import type { Pool } from '../balance/pool.js';
import type { TrafficStats } from '../stats/traffic.js';
import type { Logger } from '../logger.js';
import { PROBE_DEFAULTS, Probes, type ProbeDefaults } from './probes.js';
import { ProbeScheduler } from './scheduler.js';
import { endpointsOf, probePlan, profileLatencyMode } from './plan.js';
import type { ProbeHistoryStore } from './history.js';

/** What an embedder (the CLI, the app, a test) may choose about probes; every field has a default. */
export interface EngineProbeOptions {
  /** SQLite history (new ProbeRepository(store.db)) when there is a data directory; memory otherwise. */
  history?: ProbeHistoryStore;
  /** Latency tests at once (default 16). */
  concurrency?: number;
  /** Speed tests at once (default 1). */
  speedConcurrency?: number;
  windowSize?: number;
  /** Test URL, timeout, mode (http | unified | tcp), expected statuses, speed-test URL and bounds. */
  defaults?: Partial<ProbeDefaults>;
  /** Scheduled speed tests of every scheduled pool's members; off when absent. */
  speedIntervalMs?: number;
  rollupIntervalMs?: number;
  random?: () => number;
}

export interface EngineProbeDeps {
  profile: Profile;
  pools: ReadonlyMap<string, Pool>;
  outbounds: ReadonlyMap<string, Outbound>;
  stats: TrafficStats;
  clock?: Clock;
  logger?: Logger;
}

/** The probe service and its scheduler for an engine built from a profile. */
export function createEngineProbes(deps: EngineProbeDeps, options: EngineProbeOptions = {}): { probes: Probes; scheduler: ProbeScheduler } {
  const mode = options.defaults?.mode ?? profileLatencyMode(deps.profile) ?? PROBE_DEFAULTS.mode;
  const defaults: ProbeDefaults = { ...PROBE_DEFAULTS, ...options.defaults, mode };
  const plan = probePlan(deps.profile, defaults, options.speedIntervalMs, options.defaults?.url !== undefined);
  if (plan.unprobed.length) {
    deps.logger?.warn(`not probed on a schedule, no test url set: ${plan.unprobed.join(', ')} (add url: to the group to measure its members)`);
  }
  const probes = new Probes({
    outbounds: deps.outbounds,
    pools: deps.pools,
    poolSettings: plan.settings,
    endpointOf: endpointsOf(deps.profile),
    defaults,
    history: options.history,
    stats: deps.stats,
    clock: deps.clock,
    logger: deps.logger,
    concurrency: options.concurrency,
    speedConcurrency: options.speedConcurrency,
    windowSize: options.windowSize,
  });
  const scheduler = new ProbeScheduler(probes, deps.pools, plan.schedules, {
    stats: deps.stats,
    random: options.random,
    clock: deps.clock,
    logger: deps.logger,
    rollupIntervalMs: options.rollupIntervalMs,
  });
  return { probes, scheduler };
}

export { Probes, PROBE_DEFAULTS, type PoolProbeSettings, type ProbeDefaults } from './probes.js';
export { ProbeScheduler, jittered, type PoolSchedule } from './scheduler.js';
export { MemoryProbeHistory, type ProbeHistoryStore, type DailyProbeAggregate } from './history.js';
export { TREND_RULE, trendOf } from './trend.js';
export { UnknownProbeTargetError } from './errors.js';
