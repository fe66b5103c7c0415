import type { ProbeService } from '../adapter/prober.js';
import type { PoolMemberSnapshot, PoolSnapshot } from '../balance/pool.js';
import type { ControllerEngine } from './types.js';

export type LiveState = 'alive' | 'down' | 'ejected' | 'unknown';

/** One server or pool in the `/switchyard/stats` stream. Rates in bytes/s, totals in bytes. */
export interface LiveStat {
  name: string;
  type: string;
  upRate: number;
  downRate: number;
  up: number;
  down: number;
  /** Connections open through it now. */
  active: number;
  latencyMs: number | null;
  speedMbps: number | null;
  /** The health-score strategy's 0..100, when the probes compute it. */
  score: number | null;
  state: LiveState;
}

export interface LivePoolStat extends LiveStat {
  strategy: string;
  now: string | null;
}

export interface LiveStatsFrame {
  at: number;
  total: { upRate: number; downRate: number; up: number; down: number; active: number };
  servers: LiveStat[];
  pools: LivePoolStat[];
}

/**
 * One frame of live numbers per server (each `proxies:` entry and each proxy a provider brought) and per
 * pool: traffic from the stats, latency, speed and score from the probes, and what passive health says
 * (a member ejected by any pool shows as ejected). Values the probes have not measured yet are null.
 */
export function liveStatsFrame(engine: ControllerEngine, probes: ProbeService | undefined, now = Date.now()): LiveStatsFrame {
  const snapshots = [...engine.pools.values()].map((p) => p.snapshot());
  const seats = membersByName(snapshots);
  const t = engine.stats.total;
  const servers = serverEntries(engine).map((proxy): LiveStat => {
    const health = probes?.health(proxy.name);
    const members = seats.get(proxy.name) ?? [];
    const measured = health?.latest?.ok ? health.latest.latencyMs : undefined;
    let state: LiveState = 'unknown';
    if (members.some((m) => m.ejectedUntil !== null)) state = 'ejected';
    else if (health?.alive === false || members.some((m) => !m.alive)) state = 'down';
    else if (health?.alive === true) state = 'alive';
    return {
      ...traffic(engine, proxy.name),
      type: proxy.type,
      latencyMs: measured ?? firstNumber(members.map((m) => m.latencyMs)),
      speedMbps: health?.speed?.mbps ?? firstNumber(members.map((m) => m.speedMbps)),
      score: health?.score ?? null,
      state,
    };
  });
  const pools = snapshots.map((s): LivePoolStat => {
    const health = probes?.health(s.name);
    return {
      ...traffic(engine, s.name),
      type: s.type,
      latencyMs: health?.latest?.ok ? (health.latest.latencyMs ?? null) : null,
      speedMbps: health?.speed?.mbps ?? null,
      score: health?.score ?? null,
      state: engine.pools.get(s.name)!.hasAliveMember() ? 'alive' : 'down',
      strategy: s.strategy,
      now: s.now,
    };
  });
  return { at: now, total: { upRate: t.upRate, downRate: t.downRate, up: t.up, down: t.down, active: t.active }, servers, pools };
}

/** The profile's own proxies, then each proxy-provider's (which pools `use:`), in that order. */
function serverEntries(engine: ControllerEngine): { name: string; type: string }[] {
  const fromProviders = (engine.providers?.list() ?? []).flatMap((p) => p.proxies.map((x) => ({ name: x.name, type: x.config.type })));
  return [...engine.profile.proxies, ...fromProviders];
}

function traffic(engine: ControllerEngine, name: string) {
  const s = engine.stats.sample(name);
  return { name, upRate: s.upRate, downRate: s.downRate, up: s.up, down: s.down, active: s.active };
}

/** Every pool seat a server holds (as member or backup), by server name. */
function membersByName(snapshots: PoolSnapshot[]): Map<string, PoolMemberSnapshot[]> {
  const seats = new Map<string, PoolMemberSnapshot[]>();
  for (const s of snapshots) {
    for (const m of [...s.members, ...s.backup]) {
      const list = seats.get(m.name) ?? [];
      list.push(m);
      seats.set(m.name, list);
    }
  }
  return seats;
}

const firstNumber = (values: (number | null)[]) => values.find((v): v is number => typeof v === 'number') ?? null;
