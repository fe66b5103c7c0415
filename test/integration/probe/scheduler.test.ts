import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DialContext, Outbound } from '../../../core/adapter/outbound.js';
import { Pool } from '../../../core/balance/pool.js';
import { createSocks5 } from '../../../core/protocol/socks5/index.js';
import { Probes } from '../../../core/probe/probes.js';
import { ProbeScheduler, type PoolSchedule } from '../../../core/probe/scheduler.js';
import { TrafficStats } from '../../../core/stats/traffic.js';
import { MemoryProbeHistory, type ProbeHistoryStore } from '../../../core/probe/history.js';
import { startHttpTarget, type HttpTarget } from '../../helpers/http-target.js';
import { startControlledSocks5, type ControlledSocks5 } from '../../helpers/controlled-socks5.js';
import { seededRandom } from '../../unit/balance/fixtures.js';

let target: HttpTarget;
const servers: ControlledSocks5[] = [];
const schedulers: ProbeScheduler[] = [];

beforeAll(async () => {
  target = await startHttpTarget();
});
afterAll(async () => {
  await target.close();
});
afterEach(async () => {
  for (const s of schedulers.splice(0)) s.stop();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function upstream(delayMs = 0): Promise<ControlledSocks5> {
  const s = await startControlledSocks5({ delayMs });
  servers.push(s);
  return s;
}

const socks5 = (name: string, server: ControlledSocks5): Outbound => createSocks5({ name, type: 'socks5', server: '127.0.0.1', port: server.port });

interface Setup {
  pool: Pool;
  probes: Probes;
  scheduler: ProbeScheduler;
}

interface Extra {
  stats?: TrafficStats;
  strategy?: string;
  maxFailedTimes?: number;
  concurrency?: number;
  history?: ProbeHistoryStore;
  clock?: { now(): number };
  rollupIntervalMs?: number;
}

function setup(members: Outbound[], schedule: Omit<PoolSchedule, 'pool'>, extra: Extra = {}): Setup {
  const pool = new Pool({ name: 'auto', type: 'load-balance', strategy: extra.strategy ?? 'round-robin', members, maxFailedTimes: extra.maxFailedTimes });
  const pools = new Map([['auto', pool]]);
  const outbounds = new Map<string, Outbound>(members.map((m) => [m.name, m]));
  const probes = new Probes({
    outbounds,
    pools,
    poolSettings: new Map([['auto', { url: target.url('/hello'), timeoutMs: 2000, mode: 'http' as const }]]),
    concurrency: extra.concurrency,
    stats: extra.stats,
    history: extra.history,
    clock: extra.clock,
    defaults: { speedUrl: target.url('/bytes/200000'), speedMaxMs: 1000 },
  });
  const scheduler = new ProbeScheduler(probes, pools, [{ pool: 'auto', ...schedule }], {
    stats: extra.stats,
    random: seededRandom(5),
    clock: extra.clock,
    rollupIntervalMs: extra.rollupIntervalMs,
  });
  schedulers.push(scheduler);
  return { pool, probes, scheduler };
}

async function until(what: string, check: () => boolean, timeoutMs = 3000): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - started;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ctx(): DialContext {
  return {
    meta: { id: 't', network: 'tcp', inbound: 'socks5', source: { address: '127.0.0.1', port: 1 }, destination: { host: '127.0.0.1', port: target.port }, startedAt: 0 },
    chain: ['auto'],
  };
}

const aliveIn = (pool: Pool, name: string) => pool.snapshot().members.find((m) => m.name === name)!.alive;

describe('probe scheduler over real socks5 members', () => {
  it('marks a dead upstream dead within one interval, the pool skips it, and it is revived after it returns', async () => {
    const [sa, sb] = [await upstream(), await upstream()];
    const { pool, probes, scheduler } = setup([socks5('a', sa), socks5('b', sb)], { intervalMs: 300 });
    scheduler.start();
    await until('first round', () => probes.health('a')?.alive === true && probes.health('b')?.alive === true);

    sa.set({ drop: true });
    const deadAfter = await until('a marked dead', () => !aliveIn(pool, 'a'));
    expect(deadAfter).toBeLessThanOrEqual(300 * 1.1 + 150);
    expect(probes.health('a')).toMatchObject({ alive: false, latest: { ok: false, error: { code: 'UPSTREAM_CLOSED' } } });

    // Every strategy pick skips it: ten dials all land on b, none is even tried on a.
    const acceptedBefore = sa.accepted;
    for (let i = 0; i < 10; i++) {
      const c = ctx();
      const stream = await pool.dial({ host: '127.0.0.1', port: target.port }, c);
      stream.destroy();
      expect(c.chain).toEqual(['auto', 'b']);
    }
    expect(sa.accepted - acceptedBefore).toBeLessThanOrEqual(1); // at most one scheduled probe, no dial

    sa.set({ drop: false });
    const revivedAfter = await until('a revived', () => aliveIn(pool, 'a'));
    expect(revivedAfter).toBeLessThanOrEqual(300 * 1.1 + 150);
    expect(probes.health('a')!.alive).toBe(true);
  });

  it('feeds measured latency to the pool, so least-latency picks the faster member', async () => {
    const [slow, fast] = [await upstream(120), await upstream(20)];
    const { pool, scheduler } = setup([socks5('slow', slow), socks5('fast', fast)], { intervalMs: 10_000 }, { strategy: 'least-latency' });
    scheduler.start();
    await until('latencies', () => pool.snapshot().members.every((m) => m.latencyMs !== null));
    const [s, f] = pool.snapshot().members;
    expect(s!.latencyMs!).toBeGreaterThanOrEqual(96);
    expect(f!.latencyMs!).toBeLessThan(60);
    const c = ctx();
    (await pool.dial({ host: '127.0.0.1', port: target.port }, c)).destroy();
    expect(c.chain).toEqual(['auto', 'fast']);
  });

  it('never has more than `concurrency` probes open at once, counted at the server', async () => {
    const server = await upstream(100);
    const members = Array.from({ length: 40 }, (_, i) => socks5(`m${i}`, server));
    const { probes } = setup(members, { intervalMs: 60_000 }, { concurrency: 4 });
    const started = Date.now();
    const results = await probes.testPool('auto');
    const took = Date.now() - started;
    expect(results.map((r) => r.name)).toEqual(members.map((m) => m.name));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(server.connects).toBe(40);
    expect(server.maxPending).toBe(4);
    expect(took).toBeGreaterThanOrEqual(10 * 100 - 20); // ceil(40 / 4) rounds of 100 ms
    expect(took).toBeLessThan(10 * 100 * 1.5);
  });

  it('spaces rounds by the interval ±10%', async () => {
    const server = await upstream();
    const { scheduler, probes } = setup([socks5('a', server)], { intervalMs: 150 });
    // Round starts as the scheduler makes them (the server's accept times would add the dial's own lag).
    const t: number[] = [];
    const testPool = probes.testPool.bind(probes);
    probes.testPool = (pool, options) => {
      t.push(performance.now());
      return testPool(pool, options);
    };
    scheduler.start();
    await until('seven rounds', () => t.length >= 7, 5000);
    scheduler.stop();
    expect(server.accepted).toBeGreaterThanOrEqual(6);
    const gaps = t.slice(1).map((x, i) => x - t[i]!);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(150 * 0.9 - 1); // a timer never fires early
      expect(gap).toBeLessThanOrEqual(150 * 1.1 + 60); // timer slack on a busy machine
    }
    expect(new Set(gaps).size).toBeGreaterThan(1); // jitter, not a fixed period
  });

  it('pauses a pool that carried no traffic for idle-timeout and resumes at once when traffic returns', async () => {
    const server = await upstream();
    const stats = new TrafficStats();
    const { scheduler } = setup([socks5('a', server)], { intervalMs: 100, idleTimeoutMs: 250 }, { stats });
    scheduler.start();
    await until('paused', () => scheduler.isPaused('auto'), 2000);
    const roundsWhenPaused = server.accepted;
    expect(roundsWhenPaused).toBeGreaterThanOrEqual(2);
    expect(roundsWhenPaused).toBeLessThanOrEqual(5);
    await sleep(350);
    expect(server.accepted).toBe(roundsWhenPaused);

    // A connection through the pool (as the tracker counts it) and the next stats tick.
    stats.counter('auto').connections++;
    stats.tick();
    expect(scheduler.isPaused('auto')).toBe(false);
    await until('a round right away', () => server.accepted > roundsWhenPaused, 80);
  });

  it('re-probes a member at once when passive failures eject it', async () => {
    const [sa, sb] = [await upstream(), await upstream()];
    const { pool, probes, scheduler } = setup([socks5('a', sa), socks5('b', sb)], { intervalMs: 60_000 }, { maxFailedTimes: 1 });
    scheduler.start();
    await until('first round', () => probes.health('a')?.alive === true && probes.health('b')?.alive === true);
    const before = probes.health('a')!.latest!.at;
    await sleep(2); // so the re-probe's timestamp is later
    sa.set({ drop: true });
    const c = ctx();
    (await pool.dial({ host: '127.0.0.1', port: target.port }, c)).destroy(); // a fails, ejected, retried on b
    expect(c.chain).toEqual(['auto', 'b']);
    expect(pool.snapshot().members[0]!.ejectedUntil).not.toBeNull();
    // The next scheduled round is a minute away: only the re-probe can find it dead this soon.
    await until('a known dead', () => probes.health('a')!.alive === false, 1000);
    expect(probes.health('a')!.latest!.at).toBeGreaterThan(before);
    expect(probes.health('a')!.latest).toMatchObject({ ok: false, error: { code: 'UPSTREAM_CLOSED' } });
  });

  it('runs speed tests on a schedule only when one is set', async () => {
    const server = await upstream();
    const { probes, scheduler } = setup([socks5('a', server), socks5('b', server)], { intervalMs: 60_000, speedIntervalMs: 150 });
    scheduler.start();
    await until('speed results', () => probes.health('a')?.speed !== undefined && probes.health('b')?.speed !== undefined, 3000);
    expect(probes.health('a')!.speed).toMatchObject({ ok: true, bytes: 200000 });
    expect(probes.history('b', { kind: 'speed' }).length).toBeGreaterThanOrEqual(1);

    const other = await upstream();
    const quiet = setup([socks5('c', other)], { intervalMs: 60_000 });
    quiet.scheduler.start();
    await sleep(400);
    expect(quiet.probes.health('c')!.speed).toBeUndefined();
  });

  it('rolls history up at start and then on its timer', async () => {
    const server = await upstream();
    const clock = { t: Date.UTC(2025, 2, 3, 12), now: () => clock.t };
    const history = new MemoryProbeHistory();
    history.record('a', { at: clock.t - 25 * 3600_000, kind: 'latency', value: 70, error: null });
    const { scheduler } = setup([socks5('a', server)], { intervalMs: 60_000 }, { history, clock, rollupIntervalMs: 100 });
    scheduler.start();
    expect(history.samples('a').map((s) => s.value)).not.toContain(70);
    expect(history.daily('a')[0]).toMatchObject({ day: '2025-03-02', samples: 1, mean: 70 });
    await until('the round', () => history.samples('a').length === 1);
    clock.t += 25 * 3600_000; // a day later the round's sample goes the same way, on the timer
    await until('rolled up on the timer', () => history.samples('a').length === 0, 1000);
    expect(history.daily('a').map((d) => d.day)).toEqual(['2025-03-02', '2025-03-03']);
  });

  it('stop() ends the rounds', async () => {
    const server = await upstream();
    const { scheduler } = setup([socks5('a', server)], { intervalMs: 50 });
    scheduler.start();
    await until('two rounds', () => server.accepted >= 2);
    scheduler.stop();
    await sleep(30);
    const after = server.accepted;
    await sleep(200);
    expect(server.accepted).toBe(after);
  });
});
