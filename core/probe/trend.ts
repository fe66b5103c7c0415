import type { HistorySample, OutboundHealth } from '../adapter/prober.js';

export type Trend = NonNullable<OutboundHealth['trend']>;

/**
 * How a server's trend is decided, from its latency samples (data, so the API can show the rule):
 * recent = samples of the last hour, older = samples from 1 h to 24 h ago; each needs at least 3.
 *   degrading  recent loss is higher by 0.2 or more, or the recent mean latency of successful samples is
 *              at least 20% and 10 ms above the older mean
 *   improving  the same the other way round (loss lower by 0.2, or latency 20% and 10 ms below)
 *   steady     anything else, and whenever there are too few samples to say
 * Degrading is checked first: a server that lost packets is not "improving" because the rest got faster.
 */
export const TREND_RULE = Object.freeze({
  recentMs: 60 * 60 * 1000,
  olderMs: 24 * 60 * 60 * 1000,
  minSamples: 3,
  latencyChange: 0.2,
  minLatencyChangeMs: 10,
  lossChange: 0.2,
});

interface Side {
  loss: number;
  mean?: number;
}

function summarize(samples: readonly HistorySample[]): Side {
  const ok = samples.filter((s) => s.value !== null).map((s) => s.value!);
  return { loss: 1 - ok.length / samples.length, mean: ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : undefined };
}

export function trendOf(samples: readonly HistorySample[], now: number): Trend {
  const latency = samples.filter((s) => s.kind === 'latency' && s.at <= now);
  const recent = latency.filter((s) => s.at > now - TREND_RULE.recentMs);
  const older = latency.filter((s) => s.at <= now - TREND_RULE.recentMs && s.at > now - TREND_RULE.olderMs);
  if (recent.length < TREND_RULE.minSamples || older.length < TREND_RULE.minSamples) return 'steady';
  const r = summarize(recent);
  const o = summarize(older);
  const slower = r.mean !== undefined && o.mean !== undefined && r.mean >= o.mean * (1 + TREND_RULE.latencyChange) && r.mean - o.mean >= TREND_RULE.minLatencyChangeMs;
  const faster = r.mean !== undefined && o.mean !== undefined && r.mean <= o.mean * (1 - TREND_RULE.latencyChange) && o.mean - r.mean >= TREND_RULE.minLatencyChangeMs;
  // The epsilon keeps 0.3 − 0.1 (0.19999999999999998 in floating point) counting as a change of 0.2.
  const lossUp = r.loss - o.loss >= TREND_RULE.lossChange - 1e-9;
  const lossDown = o.loss - r.loss >= TREND_RULE.lossChange - 1e-9;
  if (lossUp || slower) return 'degrading';
  if (lossDown || faster) return 'improving';
  return 'steady';
}
