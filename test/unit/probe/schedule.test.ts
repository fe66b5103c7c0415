import { describe, expect, it } from 'vitest';
import { jittered, JITTER } from '../../../core/probe/scheduler.js';
import { probePlan, scheduleOf } from '../../../core/probe/plan.js';
import { PROBE_DEFAULTS } from '../../../core/probe/probes.js';
import type { GroupConfig, Profile } from '../../../core/config/types.js';
import { seededRandom } from '../balance/fixtures.js';

const TEST_URL = 'http://127.0.0.1:9/generate_204';
/** Groups carry a test url unless a test says otherwise: without one (and no app default) nothing is probed. */
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
    expect(scheduleOf(group({ type: 'url-test' }), undefined, true)).toEqual({ pool: 'g', intervalMs: 300_000, idleTimeoutMs: undefined, speedIntervalMs: undefined });
    expect(scheduleOf(group({ type: 'fallback', interval: 60 }), undefined, true)?.intervalMs).toBe(60_000);
    expect(scheduleOf(group({ type: 'url-test', interval: 0 }), undefined, true)).toBeUndefined();
  });

  it('probes load-balance only when its strategy reads probes or it names a url or interval', () => {
    expect(scheduleOf(group({ strategy: 'round-robin' }), undefined, true)).toBeUndefined();
    expect(scheduleOf(group({ strategy: 'weighted-latency' }), undefined, true)?.intervalMs).toBe(300_000);
    expect(scheduleOf(group({ strategy: 'health-score' }), undefined, true)?.intervalMs).toBe(300_000);
    expect(scheduleOf(group({ strategy: 'round-robin', url: 'http://x/' }), undefined, true)?.intervalMs).toBe(300_000);
    expect(scheduleOf(group({ type: 'select' }), undefined, true)).toBeUndefined();
    expect(scheduleOf(group({ type: 'select', interval: 30 }), undefined, true)?.intervalMs).toBe(30_000);
  });

  it('probes nothing on a schedule without a test url: neither the group\'s own nor an app default', () => {
    expect(scheduleOf(group({ type: 'url-test' }))).toBeUndefined();
    expect(scheduleOf(group({ type: 'fallback', interval: 60 }))).toBeUndefined();
    expect(scheduleOf(group({ type: 'url-test', url: TEST_URL }))?.intervalMs).toBe(300_000);
    const profile = { proxyGroups: [group({ name: 'ut', type: 'url-test' }), group({ name: 'rr' }), group({ name: 'own', type: 'fallback', url: TEST_URL })] } as unknown as Profile;
    const plan = probePlan(profile, PROBE_DEFAULTS);
    expect(plan.schedules.map((x) => x.pool)).toEqual(['own']);
    expect(plan.unprobed).toEqual(['ut']);
    expect(probePlan(profile, PROBE_DEFAULTS, undefined, true).schedules.map((x) => x.pool)).toEqual(['ut', 'own']);
  });

  it('pauses on idle-timeout, or after one interval without traffic for lazy groups', () => {
    expect(scheduleOf(group({ type: 'url-test', idleTimeout: 600 }), undefined, true)?.idleTimeoutMs).toBe(600_000);
    expect(scheduleOf(group({ type: 'url-test', interval: 120, lazy: true }), undefined, true)?.idleTimeoutMs).toBe(120_000);
    expect(scheduleOf(group({ type: 'url-test', lazy: false }), undefined, true)?.idleTimeoutMs).toBeUndefined();
    expect(scheduleOf(group({ type: 'url-test' }), 3_600_000, true)?.speedIntervalMs).toBe(3_600_000);
  });
});
