import type { StrategyFactory, StrategyMember } from '../adapter/strategy.js';

/**
 * The health score, 0..100, higher is better (DESIGN.md section 3). Four parts, each turned into 0..1
 * (1 best), weighted and summed, times 100:
 *
 *   latency   300 / (300 + latency ms)                   0 ms → 1, 300 ms → 0.5; unknown → 0.5
 *   failures  1 − recent dial failure rate              no failures → 1, all failing → 0
 *   load      10 / (10 + active connections)             idle → 1, 10 open → 0.5
 *   speed     Mbit/s / (Mbit/s + 20)                     20 Mbit/s → 0.5; unknown → 0.5
 *
 * The constants are data so the controller API and the UI can show them next to each score.
 */
export const HEALTH_SCORE_WEIGHTS = Object.freeze({ latency: 0.4, failures: 0.3, load: 0.15, speed: 0.15 });

/** The input at which each part scores 0.5 (the half-way points of the curves above). */
export const HEALTH_SCORE_SCALES = Object.freeze({ latencyMs: 300, activeConnections: 10, speedMbps: 20 });

export type HealthScorePart = keyof typeof HEALTH_SCORE_WEIGHTS;

export type HealthScoreInputs = Pick<StrategyMember, 'latencyMs' | 'activeConnections' | 'failureRate' | 'speedMbps'>;

export interface HealthScorePartExplanation {
  /** The measured input (ms, rate, connections, Mbit/s); null when unknown. */
  input: number | null;
  /** The part's value 0..1. */
  value: number;
  weight: number;
  /** weight × value × 100: what this part adds to the score. */
  points: number;
}

export interface HealthScoreExplanation {
  score: number;
  parts: Record<HealthScorePart, HealthScorePartExplanation>;
}

const UNKNOWN = 0.5;

/** Each part's value from the inputs, following the table in the module comment. */
function partValues(m: HealthScoreInputs): Record<HealthScorePart, { input: number | null; value: number }> {
  const s = HEALTH_SCORE_SCALES;
  const latency = m.latencyMs;
  const speed = m.speedMbps;
  const rate = Math.min(1, Math.max(0, m.failureRate));
  const active = Math.max(0, m.activeConnections);
  return {
    latency: { input: latency ?? null, value: latency === undefined ? UNKNOWN : s.latencyMs / (s.latencyMs + Math.max(0, latency)) },
    failures: { input: rate, value: 1 - rate },
    load: { input: active, value: s.activeConnections / (s.activeConnections + active) },
    speed: { input: speed ?? null, value: speed === undefined ? UNKNOWN : Math.max(0, speed) / (Math.max(0, speed) + s.speedMbps) },
  };
}

/** The score with every part's contribution, for the API ("why is this server scored 62?"). */
export function explainHealthScore(m: HealthScoreInputs): HealthScoreExplanation {
  const values = partValues(m);
  const parts = {} as Record<HealthScorePart, HealthScorePartExplanation>;
  let score = 0;
  for (const part of Object.keys(HEALTH_SCORE_WEIGHTS) as HealthScorePart[]) {
    const weight = HEALTH_SCORE_WEIGHTS[part];
    const points = weight * values[part].value * 100;
    parts[part] = { ...values[part], weight, points };
    score += points;
  }
  return { score, parts };
}

export function healthScoreOf(m: HealthScoreInputs): number {
  return explainHealthScore(m).score;
}

/**
 * Highest health score; ties go to the earlier member in the list. Deterministic: the load part falls as
 * connections open on a member, so traffic spreads by itself once the best member is busy enough.
 */
export const healthScore: StrategyFactory = () => (members) => {
  let best = members[0]!;
  let bestScore = healthScoreOf(best);
  for (let i = 1; i < members.length; i++) {
    const m = members[i]!;
    const s = healthScoreOf(m);
    if (s > bestScore || (s === bestScore && m.index < best.index)) {
      best = m;
      bestScore = s;
    }
  }
  return best;
};
