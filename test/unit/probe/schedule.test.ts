import { describe, expect, it } from 'vitest';
import { jittered, JITTER } from '../../../core/probe/scheduler.js';
import { scheduleOf } from '../../../core/probe/plan.js';
import type { GroupConfig } from '../../../core/config/types.js';
import { seededRandom } from '../balance/fixtures.js';

const group = (g: Partial<GroupConfig>): GroupConfig => ({ name: 'g', type: 'load-balance', proxies: ['a'], use: [], backup: [], ...g });

describe('interval jitter', () => {
  it('stays within ±10% of the interval and uses the whole band', () => {
    const rand = seededRandom(9);
    const draws = Array.from({ length: 10_000 }, () => jittered(1000, rand));
    expect(JITTER).toBe(0.1);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(900);
    expect(Math.max(...draws)).toBeLessThanOrEqual(1100);
    expect(Math.min(...draws)).toBeLessThan(905);
    expect(Math.max(...draws)).toBeGreaterThan(1095);
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(mean).toBeGreaterThan(995);
    expect(mean).toBeLessThan(1005);
    expect(jittered(1000, () => 0)).toBe(900);
  });
});

describe('which groups are probed on a schedule', () => {
  it('probes url-test and fallback every 300 s by default, and honours interval', () => {
    expect(scheduleOf(group({ type: 'url-test' }))).toEqual({ pool: 'g', intervalMs: 300_000, idleTimeoutMs: undefined, speedIntervalMs: undefined });
    expect(scheduleOf(group({ type: 'fallback', interval: 60 }))?.intervalMs).toBe(60_000);
    expect(scheduleOf(group({ type: 'url-test', interval: 0 }))).toBeUndefined();
  });

  it('probes load-balance only when its strategy reads probes or it names a url or interval', () => {
    expect(scheduleOf(group({ strategy: 'round-robin' }))).toBeUndefined();
    expect(scheduleOf(group({ strategy: 'weighted-latency' }))?.intervalMs).toBe(300_000);
    expect(scheduleOf(group({ strategy: 'health-score' }))?.intervalMs).toBe(300_000);
    expect(scheduleOf(group({ strategy: 'round-robin', url: 'http://x/' }))?.intervalMs).toBe(300_000);
    expect(scheduleOf(group({ type: 'select' }))).toBeUndefined();
    expect(scheduleOf(group({ type: 'select', interval: 30 }))?.intervalMs).toBe(30_000);
  });

  it('pauses on idle-timeout, or after one interval without traffic for lazy groups', () => {
    expect(scheduleOf(group({ type: 'url-test', idleTimeout: 600 }))?.idleTimeoutMs).toBe(600_000);
    expect(scheduleOf(group({ type: 'url-test', interval: 120, lazy: true }))?.idleTimeoutMs).toBe(120_000);
    expect(scheduleOf(group({ type: 'url-test', lazy: false }))?.idleTimeoutMs).toBeUndefined();
    expect(scheduleOf(group({ type: 'url-test' }), 3_600_000)?.speedIntervalMs).toBe(3_600_000);
  });
});
