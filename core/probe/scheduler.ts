import type { Pool } from '../balance/pool.js';
import type { TrafficStats } from '../stats/traffic.js';
import { type Clock, systemClock } from '../adapter/clock.js';
import { type Logger, silentLogger } from '../logger.js';
import type { Probes } from './probes.js';

/** When one pool is probed. */
export interface PoolSchedule {
  pool: string;
  /** Between latency rounds, before jitter. */
  intervalMs: number;
  /** Rounds pause once the pool carried no traffic for this long; never when absent. */
  idleTimeoutMs?: number;
  /** Speed-test every member this often; off when absent (DESIGN.md: off by default on a schedule). */
  speedIntervalMs?: number;
}

export interface ProbeSchedulerOptions {
  /** The engine's traffic counters, for the idle pause; without them pools never pause. */
  stats?: TrafficStats;
  /** Seeded randomness for the jitter in tests. */
  random?: () => number;
  clock?: Clock;
  logger?: Logger;
  /** How often history is rolled up and pruned (also once at start); default 1 h. */
  rollupIntervalMs?: number;
}

/** Intervals vary by ±10% so pools (and several apps behind one NAT) do not probe in lockstep. */
export const JITTER = 0.1;

export function jittered(intervalMs: number, random: () => number = Math.random): number {
  return intervalMs * (1 - JITTER + 2 * JITTER * random());
}

interface Running {
  schedule: PoolSchedule;
  pool: Pool;
  timer?: NodeJS.Timeout;
  speedTimer?: NodeJS.Timeout;
  round?: Promise<unknown>;
  paused: boolean;
  lastTrafficAt: number;
  trafficMark: string;
}

/**
 * Runs each scheduled pool's latency rounds (Probes.testPool) every `intervalMs` ± 10%, the first at
 * start. A pool that carried no traffic for `idleTimeoutMs` skips its rounds until traffic returns (then
 * one runs at once). A member ejected by passive health (Pool.onMemberEjected) is probed at once, so
 * it is known dead or alive before its fail-timeout is over. Concurrency is capped by Probes' limiter.
 * Pools without a schedule are never probed on their own: a probe to an unreachable test URL would take
 * their members out with nothing to bring them back.
 */
export class ProbeScheduler {
  private readonly running = new Map<string, Running>();
  private readonly random: () => number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly unsubscribe: (() => void)[] = [];
  private rollupTimer?: NodeJS.Timeout;
  private started = false;

  constructor(
    private readonly probes: Probes,
    private readonly pools: ReadonlyMap<string, Pool>,
    readonly schedules: readonly PoolSchedule[],
    private readonly options: ProbeSchedulerOptions = {},
  ) {
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.rollup();
    const rollupEvery = this.options.rollupIntervalMs ?? 60 * 60 * 1000;
    this.rollupTimer = setInterval(() => this.rollup(), rollupEvery);
    this.rollupTimer.unref();
    const now = this.clock.now();
    for (const schedule of this.schedules) {
      const pool = this.pools.get(schedule.pool);
      if (!pool || !(schedule.intervalMs > 0)) continue;
      const r: Running = { schedule, pool, paused: false, lastTrafficAt: now, trafficMark: this.trafficMark(schedule.pool) };
      this.running.set(schedule.pool, r);
      this.unsubscribe.push(pool.onMemberEjected((e) => this.reprobe(e.member)));
      this.round(r);
      if (schedule.speedIntervalMs) this.scheduleSpeed(r);
    }
    if (this.options.stats) this.unsubscribe.push(this.options.stats.onTick(() => this.resumeWithTraffic()));
  }

  stop(): void {
    this.started = false;
    clearInterval(this.rollupTimer);
    for (const r of this.running.values()) {
      clearTimeout(r.timer);
      clearTimeout(r.speedTimer);
    }
    this.running.clear();
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** Whether a pool's rounds are paused for lack of traffic. */
  isPaused(pool: string): boolean {
    return this.running.get(pool)?.paused ?? false;
  }

  /** Starts a round unless one is still running or the pool is idle; then sets the next. */
  private round(r: Running): void {
    if (!this.started) return;
    clearTimeout(r.timer);
    r.timer = setTimeout(() => this.round(r), jittered(r.schedule.intervalMs, this.random));
    r.timer.unref();
    if (this.idle(r)) {
      if (!r.paused) this.logger.debug({ pool: r.pool.name }, 'no traffic: probing paused');
      r.paused = true;
      return;
    }
    r.paused = false;
    if (r.round) return; // the last round overran its interval (slow timeouts); let it finish
    r.round = this.probes
      .testPool(r.pool.name)
      .catch((err: Error) => this.logger.warn({ pool: r.pool.name, err: err.message }, 'probe round failed'))
      .finally(() => (r.round = undefined));
  }

  private scheduleSpeed(r: Running): void {
    r.speedTimer = setTimeout(() => {
      if (!this.started) return;
      if (!this.idle(r)) {
        const { members } = r.pool.memberNames();
        for (const name of members) this.probes.testSpeed(name).catch((err: Error) => this.logger.warn({ outbound: name, err: err.message }, 'speed test failed'));
      }
      this.scheduleSpeed(r);
    }, jittered(r.schedule.speedIntervalMs!, this.random));
    r.speedTimer.unref();
  }

  private reprobe(member: string): void {
    if (!this.started) return;
    this.probes.testLatency(member).catch((err: Error) => this.logger.warn({ outbound: member, err: err.message }, 're-probe after ejection failed'));
  }

  /** Traffic seen since the last look moves the pool's last-traffic time forward. */
  private idle(r: Running): boolean {
    const idleMs = r.schedule.idleTimeoutMs;
    if (!this.options.stats || !idleMs) return false;
    this.noteTraffic(r);
    return this.clock.now() - r.lastTrafficAt >= idleMs;
  }

  private noteTraffic(r: Running): boolean {
    const mark = this.trafficMark(r.pool.name);
    const active = this.options.stats?.sample(r.pool.name).active ?? 0;
    const moved = mark !== r.trafficMark || active > 0;
    r.trafficMark = mark;
    if (moved) r.lastTrafficAt = this.clock.now();
    return moved;
  }

  private trafficMark(pool: string): string {
    const s = this.options.stats?.sample(pool);
    return s ? `${s.connections}/${s.up}/${s.down}` : '';
  }

  /** Each stats tick: a paused pool that carries traffic again is probed at once. */
  private resumeWithTraffic(): void {
    for (const r of this.running.values()) {
      if (r.paused && this.noteTraffic(r)) {
        this.logger.debug({ pool: r.pool.name }, 'traffic again: probing resumed');
        this.round(r);
      }
    }
  }

  private rollup(): void {
    try {
      const { rolledUp, prunedDays } = this.probes.historyStore.rollup(this.clock.now());
      if (rolledUp || prunedDays) this.logger.debug({ rolledUp, prunedDays }, 'probe history rolled up');
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'probe history roll-up failed');
    }
  }
}
