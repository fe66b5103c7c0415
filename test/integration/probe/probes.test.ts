import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outbound } from '../../../core/adapter/outbound.js';
import type { HistorySample, LatencyResult } from '../../../core/adapter/prober.js';
import { Pool } from '../../../core/balance/pool.js';
import { createSocks5 } from '../../../core/protocol/socks5/index.js';
import { Probes } from '../../../core/probe/probes.js';
import { MemoryProbeHistory, type ProbeHistoryStore } from '../../../core/probe/history.js';
import { UnknownProbeTargetError } from '../../../core/probe/errors.js';
import { TrafficStats } from '../../../core/stats/traffic.js';
import { startHttpTarget, type HttpTarget } from '../../helpers/http-target.js';
import { startControlledSocks5, type ControlledSocks5 } from '../../helpers/controlled-socks5.js';

let target: HttpTarget;
let fast: ControlledSocks5;
let slow: ControlledSocks5;

beforeAll(async () => {
  target = await startHttpTarget();
  fast = await startControlledSocks5({ delayMs: 10 });
  slow = await startControlledSocks5({ delayMs: 80 });
});
afterAll(async () => {
  await Promise.all([fast.close(), slow.close(), target.close()]);
});

function build(options: { history?: ProbeHistoryStore; stats?: TrafficStats; clock?: { now(): number } } = {}) {
  const a: Outbound = createSocks5({ name: 'a', type: 'socks5', server: '127.0.0.1', port: fast.port });
  const b: Outbound = createSocks5({ name: 'b', type: 'socks5', server: '127.0.0.1', port: slow.port });
  const auto = new Pool({ name: 'auto', type: 'url-test', members: [a, b] });
  const other = new Pool({ name: 'other', type: 'load-balance', members: [b], backup: [a] });
  const outbounds = new Map<string, Outbound>([
    ['a', a],
    ['b', b],
    ['auto', auto],
  ]);
  const probes = new Probes({
    outbounds,
    pools: new Map([
      ['auto', auto],
      ['other', other],
    ]),
    poolSettings: new Map([['auto', { url: target.url('/hello'), timeoutMs: 1000, mode: 'http' as const }]]),
    defaults: { url: target.url('/hello') },
    endpointOf: (name) => (name === 'a' ? { address: '127.0.0.1', port: fast.port } : undefined),
    history: options.history,
    stats: options.stats,
    clock: options.clock,
  });
  return { probes, auto, other, outbounds };
}

describe('Probes (the ProbeService)', () => {
  it('tests a pool: one result per member in order, pushed into every pool that holds the member', async () => {
    const { probes, auto, other } = build();
    const results = await probes.testPool('auto');
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['a', true],
      ['b', true],
    ]);
    expect(results[1]!.latencyMs!).toBeGreaterThan(results[0]!.latencyMs!);
    expect(auto.snapshot().members.map((m) => m.latencyMs)).toEqual(results.map((r) => r.latencyMs));
    // `other` holds b as a member and a as backup: both hear the results too
    expect(other.snapshot().members[0]!.latencyMs).toBe(results[1]!.latencyMs);
    expect(other.snapshot().backup[0]!.latencyMs).toBe(results[0]!.latencyMs);
  });

  it('leaves a pool as it was when every member failed the same round (the test URL is the likelier culprit)', async () => {
    const { probes, auto } = build();
    const results = await probes.testPool('auto', { url: target.url('/blocked') }); // 404 through every member
    expect(results.map((r) => r.error?.code)).toEqual(['UNEXPECTED_STATUS', 'UNEXPECTED_STATUS']);
    expect(probes.health('a')!.alive).toBe(false); // reported down...
    expect(auto.snapshot().members.map((m) => m.alive)).toEqual([true, true]); // ...but not taken out
    // one member failing while another passes is news about that member
    fast.set({ drop: true });
    await probes.testPool('auto');
    fast.set({ drop: false });
    expect(auto.snapshot().members.map((m) => m.alive)).toEqual([false, true]);
    // and a single test of one member acts on its own result
    await probes.testLatency('b', { url: target.url('/blocked') });
    expect(auto.snapshot().members.map((m) => m.alive)).toEqual([false, false]);
    await probes.testPool('auto');
    expect(auto.snapshot().members.map((m) => m.alive)).toEqual([true, true]);
  });

  it('tells a pool about a member it gained after start (a provider refresh)', async () => {
    const { probes, auto, outbounds } = build();
    const late: Outbound = createSocks5({ name: 'late', type: 'socks5', server: '127.0.0.1', port: slow.port });
    outbounds.set('late', late);
    auto.setMembers([...auto.memberNames().members.map((n) => outbounds.get(n)!), late]);
    const result = await probes.testLatency('late');
    expect(result.ok).toBe(true);
    const member = auto.snapshot().members.find((m) => m.name === 'late')!;
    expect(member.latencyMs).toBe(result.latencyMs);
  });

  it('joins a test of the same outbound already running instead of opening a second connection', async () => {
    const { probes } = build();
    slow.resetCounters();
    const [x, y] = await Promise.all([probes.testLatency('b'), probes.testLatency('b')]);
    expect(x).toBe(y);
    expect(slow.accepted).toBe(1);
    // different settings are a different test
    await Promise.all([probes.testLatency('b'), probes.testLatency('b', { mode: 'unified' })]);
    expect(slow.accepted).toBe(3);
  });

  it('tests a nested pool as an outbound, and uses TCP ping where asked', async () => {
    const { probes } = build();
    const viaPool = await probes.testLatency('auto');
    expect(viaPool).toMatchObject({ name: 'auto', ok: true });
    fast.resetCounters();
    const ping = await probes.testLatency('a', { mode: 'tcp' });
    expect(ping).toMatchObject({ ok: true, mode: 'tcp' });
    expect(fast.connects).toBe(0); // connected and closed, no SOCKS request
    expect(await probes.testLatency('b', { mode: 'tcp' })).toMatchObject({ ok: false, error: { code: 'NO_ENDPOINT' } });
  });

  it('answers unknown names with UNKNOWN_OUTBOUND / UNKNOWN_POOL', async () => {
    const { probes } = build();
    await expect(probes.testLatency('nope')).rejects.toMatchObject({ code: 'UNKNOWN_OUTBOUND' });
    await expect(probes.testPool('nope')).rejects.toBeInstanceOf(UnknownProbeTargetError);
    await expect(probes.testPool('nope')).rejects.toMatchObject({ code: 'UNKNOWN_POOL' });
    await expect(probes.testSpeed('nope')).rejects.toMatchObject({ code: 'UNKNOWN_OUTBOUND' });
    expect(probes.health('nope')).toBeUndefined();
  });

  it('reports health: latest, window, score and trend; history holds every sample', async () => {
    const stats = new TrafficStats();
    stats.counter('a').active = 3;
    const history = new MemoryProbeHistory();
    const { probes } = build({ history, stats });
    expect(probes.health('a')).toEqual({ name: 'a', alive: undefined, latest: undefined, window: { samples: 0, loss: 0 }, speed: undefined });
    const seen: LatencyResult[] = [];
    const off = probes.onResult((r, kind) => kind === 'latency' && seen.push(r as LatencyResult));
    for (let i = 0; i < 3; i++) await probes.testLatency('a');
    fast.set({ drop: true });
    await probes.testLatency('a');
    fast.set({ drop: false });
    off();
    const health = probes.health('a')!;
    expect(health.alive).toBe(false);
    expect(health.window).toMatchObject({ samples: 4, loss: 0.25 });
    expect(health.window.meanMs!).toBeGreaterThan(5);
    expect(health.score!).toBeGreaterThan(0);
    expect(health.score!).toBeLessThan(100);
    expect(health.trend).toBe('steady'); // not an hour of history yet
    expect(seen).toHaveLength(4);
    const samples = probes.history('a');
    expect(samples.map((s) => s.value === null)).toEqual([false, false, false, true]);
    expect(samples[3]).toMatchObject({ kind: 'latency', error: 'UPSTREAM_CLOSED' });
    expect(probes.history('a', { kind: 'speed' })).toEqual([]);

    const speed = await probes.testSpeed('a', { url: target.url('/bytes/200000'), maxMs: 2000 });
    expect(speed).toMatchObject({ ok: true, bytes: 200000 });
    expect(probes.health('a')!.speed).toBe(speed);
    expect(probes.history('a', { kind: 'speed' }).map((s: HistorySample) => s.value)).toEqual([speed.mbps]);
  });

  it('derives the trend from history, recomputing it at most once a minute', async () => {
    const clock = { t: Date.UTC(2025, 0, 1, 12), now: () => clock.t };
    const history = new MemoryProbeHistory();
    for (let h = 2; h <= 6; h++) history.record('a', { at: clock.t - h * 3600_000, kind: 'latency', value: 400, error: null });
    const { probes } = build({ history, clock });
    for (let i = 0; i < 3; i++) await probes.testLatency('a'); // ~10 ms now, against 400 ms before
    expect(probes.health('a')!.trend).toBe('improving');
    for (let i = 0; i < 10; i++) history.record('a', { at: clock.t - 1000 - i, kind: 'latency', value: 900, error: null });
    clock.t += 30_000;
    expect(probes.health('a')!.trend).toBe('improving'); // cached
    clock.t += 31_000;
    expect(probes.health('a')!.trend).toBe('degrading');
  });

  it('keeps probing when the history store fails', async () => {
    const broken = new MemoryProbeHistory();
    broken.record = () => {
      throw new Error('disk full');
    };
    const { probes, auto } = build({ history: broken });
    const result = await probes.testLatency('a');
    expect(result.ok).toBe(true);
    expect(auto.snapshot().members[0]!.latencyMs).toBe(result.latencyMs);
    expect(probes.history('a')).toEqual([]);
  });
});
