import { describe, expect, it } from 'vitest';
import type { HistorySample } from '../../../core/adapter/prober.js';
import { TREND_RULE, trendOf } from '../../../core/probe/trend.js';

const NOW = Date.UTC(2025, 5, 1, 12);
const MIN = 60_000;

/** Latency samples: `older` spread over 2–20 h ago, `recent` over the last 50 min; null = failed probe. */
function series(older: (number | null)[], recent: (number | null)[]): HistorySample[] {
  const o = older.map((v, i) => ({ at: NOW - 2 * 60 * MIN - i * 60 * MIN, kind: 'latency' as const, value: v }));
  const r = recent.map((v, i) => ({ at: NOW - 50 * MIN + i * 5 * MIN, kind: 'latency' as const, value: v }));
  return [...o, ...r];
}

describe('trend', () => {
  it('is steady with fewer than the minimum samples on either side', () => {
    expect(TREND_RULE.minSamples).toBe(3);
    expect(trendOf(series([100, 100, 100], [300, 300]), NOW)).toBe('steady');
    expect(trendOf(series([100, 100], [300, 300, 300]), NOW)).toBe('steady');
  });

  it('is degrading when recent latency is 20% and 10 ms above the older mean', () => {
    expect(trendOf(series([100, 100, 100, 100], [121, 119, 120]), NOW)).toBe('degrading');
    expect(trendOf(series([100, 100, 100, 100], [115, 118, 116]), NOW)).toBe('steady'); // +16%
    expect(trendOf(series([20, 20, 20], [27, 27, 27]), NOW)).toBe('steady'); // +35% but only 7 ms
  });

  it('is improving when recent latency is 20% and 10 ms below', () => {
    expect(trendOf(series([200, 210, 190], [150, 155, 160]), NOW)).toBe('improving');
  });

  it('counts loss: 0.2 more failures is degrading even when the successes got faster', () => {
    expect(trendOf(series([100, 100, 100, 100, 100], [50, null, 50, 50, 50]), NOW)).toBe('degrading');
    expect(trendOf(series([100, null, null, 100, 100], [100, 100, 100, 100, 100]), NOW)).toBe('improving');
  });

  it('ignores speed samples and samples older than 24 h', () => {
    const old = [0, 1, 2].map((i) => ({ at: NOW - 25 * 60 * MIN - i * MIN, kind: 'latency' as const, value: 10 }));
    const speed = [0, 1, 2].map((i) => ({ at: NOW - 3 * 60 * MIN - i * MIN, kind: 'speed' as const, value: 10 }));
    const recent = series([], [300, 300, 300]);
    expect(trendOf([...old, ...speed, ...recent], NOW)).toBe('steady');
  });
});
