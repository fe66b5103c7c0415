import type { Endpoint } from '../adapter/outbound.js';
import type { GroupConfig, Profile } from '../config/types.js';
import type { PoolProbeSettings, ProbeDefaults } from './probes.js';
import type { PoolSchedule } from './scheduler.js';

/** Clash's default `interval` for groups that probe. */
export const DEFAULT_INTERVAL_S = 300;

/** load-balance strategies that read probe results, so their pools are probed without being asked. */
const PROBE_DRIVEN_STRATEGIES = new Set(['weighted-latency', 'least-latency', 'health-score']);

/**
 * Whether a group is probed on a schedule, and how often:
 * - `interval: 0` never; an explicit `interval` always (a select group only this way);
 * - url-test and fallback groups, load-balance groups with a probe-driven strategy, and any group with a
 *   `url`, every 300 s by default;
 * - anything else (a plain round-robin pool) not at all: nothing it does depends on probes.
 * A scheduled group needs a test URL: its own `url`, or a default the app set (`haveDefaultUrl`). Without
 * one it is not probed on a schedule: we never send a user's traffic to a test URL they did not choose.
 */
export function scheduleOf(g: GroupConfig, speedIntervalMs?: number, haveDefaultUrl = false): PoolSchedule | undefined {
  const wantsProbes = g.type === 'url-test' || g.type === 'fallback' || g.url !== undefined || (g.type === 'load-balance' && PROBE_DRIVEN_STRATEGIES.has(g.strategy ?? ''));
  const intervalS = g.interval ?? (wantsProbes ? DEFAULT_INTERVAL_S : 0);
  if (!(intervalS > 0)) return undefined;
  if (g.url === undefined && !haveDefaultUrl) return undefined;
  const intervalMs = intervalS * 1000;
  // Clash's `lazy: true`: test only while the group is in use; we read "in use" as traffic within one interval.
  const idleS = g.idleTimeout ?? (g.lazy === true ? intervalS : undefined);
  return { pool: g.name, intervalMs, idleTimeoutMs: idleS ? idleS * 1000 : undefined, speedIntervalMs };
}

/** The latency test of each group: its `url` and `timeout`, the rest from the defaults. */
export function settingsOf(g: GroupConfig, defaults: PoolProbeSettings): PoolProbeSettings {
  return { url: g.url ?? defaults.url, timeoutMs: g.timeout ?? defaults.timeoutMs, expectedStatus: defaults.expectedStatus, mode: defaults.mode };
}

export interface ProbePlan {
  settings: Map<string, PoolProbeSettings>;
  schedules: PoolSchedule[];
  /** Groups that would be probed but have no test URL: the engine says so once. */
  unprobed: string[];
}

export function probePlan(profile: Profile, defaults: ProbeDefaults, speedIntervalMs?: number, haveDefaultUrl = false): ProbePlan {
  const settings = new Map<string, PoolProbeSettings>();
  const schedules: PoolSchedule[] = [];
  const unprobed: string[] = [];
  for (const g of profile.proxyGroups) {
    settings.set(g.name, settingsOf(g, defaults));
    const schedule = scheduleOf(g, speedIntervalMs, haveDefaultUrl);
    if (schedule) schedules.push(schedule);
    else if (scheduleOf(g, speedIntervalMs, true)) unprobed.push(g.name);
  }
  return { settings, schedules, unprobed };
}

/** mihomo's top-level `unified-delay: true` switches latency tests to the unified mode. */
export function profileLatencyMode(profile: Profile): PoolProbeSettings['mode'] | undefined {
  return profile.extra['unified-delay'] === true ? 'unified' : undefined;
}

/** The `server`/`port` of each proxies entry, for TCP ping. */
export function endpointsOf(profile: Profile): (name: string) => Endpoint | undefined {
  const map = new Map<string, Endpoint>();
  for (const p of profile.proxies) {
    if (typeof p.server === 'string' && typeof p.port === 'number') map.set(p.name, { address: p.server, port: p.port });
  }
  return (name) => map.get(name);
}
