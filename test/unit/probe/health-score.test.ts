import { describe, expect, it } from 'vitest';
import type { StrategyMember } from '../../../core/adapter/strategy.js';
import { createStrategy } from '../../../core/balance/strategies.js';
import { explainHealthScore, HEALTH_SCORE_SCALES, HEALTH_SCORE_WEIGHTS, healthScoreOf } from '../../../core/balance/health-score.js';
import { members, meta } from '../balance/fixtures.js';

/** The documented formula, written out independently of the module. */
function expectedScore(m: { latencyMs?: number; activeConnections: number; failureRate: number; speedMbps?: number }): number {
  const w = HEALTH_SCORE_WEIGHTS;
  const latency = m.latencyMs === undefined ? 0.5 : 300 / (300 + m.latencyMs);
  const load = 10 / (10 + m.activeConnections);
  const speed = m.speedMbps === undefined ? 0.5 : m.speedMbps / (m.speedMbps + 20);
  return 100 * (w.latency * latency + w.failures * (1 - m.failureRate) + w.load * load + w.speed * speed);
}

describe('health-score', () => {
  it('publishes weights that sum to 1 and the scales of each part', () => {
    const sum = Object.values(HEALTH_SCORE_WEIGHTS).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 10);
    expect(HEALTH_SCORE_SCALES).toEqual({ latencyMs: 300, activeConnections: 10, speedMbps: 20 });
    expect(Object.isFrozen(HEALTH_SCORE_WEIGHTS)).toBe(true);
  });

  it('explains a score part by part, the points adding up to the score', () => {
    const inputs = { latencyMs: 150, activeConnections: 5, failureRate: 0.25, speedMbps: 60 };
    const e = explainHealthScore(inputs);
    expect(e.score).toBeCloseTo(expectedScore(inputs), 10);
    expect(e.parts.latency).toMatchObject({ input: 150, value: 300 / 450, weight: 0.4 });
    expect(e.parts.latency.points).toBeCloseTo(40 * (300 / 450), 10);
    expect(e.parts.speed.value).toBeCloseTo(0.75, 10);
    const points = Object.values(e.parts).reduce((a, p) => a + p.points, 0);
    expect(points).toBeCloseTo(e.score, 10);
    expect(explainHealthScore({ activeConnections: 0, failureRate: 0 }).parts.latency).toMatchObject({ input: null, value: 0.5 });
    // a perfect server scores 100 in the limit; a dead and crowded one near 0
    expect(healthScoreOf({ latencyMs: 0, activeConnections: 0, failureRate: 0, speedMbps: 1e9 })).toBeCloseTo(100, 3);
    expect(healthScoreOf({ latencyMs: 1e9, activeConnections: 1e9, failureRate: 1, speedMbps: 0 })).toBeLessThan(0.01);
  });

  it('picks the highest score: failures and load outweigh a small latency lead', () => {
    const pick = createStrategy('health-score', {});
    const list = members(['a', 'b', 'c'], {
      a: { latencyMs: 40, failureRate: 0.6 },
      b: { latencyMs: 90, failureRate: 0 },
      c: { latencyMs: 60, failureRate: 0, activeConnections: 40 },
    });
    expect(pick(list, meta()).name).toBe('b');
    // equal scores go to the earlier member
    expect(pick(members(['x', 'y']), meta()).name).toBe('x');
  });

  it('spreads 10,000 connections so that scores stay level, as the formula predicts', () => {
    // Known latencies and speeds; every pick opens a connection that stays open, so load grows.
    const fixed: Record<string, Partial<StrategyMember>> = {
      a: { latencyMs: 40, speedMbps: 80 },
      b: { latencyMs: 150, speedMbps: 40 },
      c: { latencyMs: 400 },
    };
    const active: Record<string, number> = { a: 0, b: 0, c: 0 };
    const pick = createStrategy('health-score', {});
    for (let i = 0; i < 10_000; i++) {
      const list = members(['a', 'b', 'c'], Object.fromEntries(Object.entries(fixed).map(([k, v]) => [k, { ...v, activeConnections: active[k]! }])));
      active[pick(list, meta()).name]!++;
    }
    expect(active.a! + active.b! + active.c!).toBe(10_000);
    // Greedy argmax on a score that falls with load ends with every member's score within one
    // connection's step of the others: the one that would gain the next pick is no better than
    // anyone was at their last pick.
    const score = (k: string, n: number) => expectedScore({ ...fixed[k], activeConnections: n, failureRate: 0 });
    for (const k of ['a', 'b', 'c']) {
      for (const other of ['a', 'b', 'c']) {
        if (k === other || active[k] === 0) continue;
        expect(score(k, active[k]! - 1)).toBeGreaterThanOrEqual(score(other, active[other]!) - 1e-9);
      }
    }
    // and the faster, quicker server carries the most
    expect(active.a!).toBeGreaterThan(active.b!);
    expect(active.b!).toBeGreaterThan(active.c!);
  });
});
