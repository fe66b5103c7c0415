import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpTarget, type HttpTarget } from '../../helpers/http-target.js';
import { freePort } from '../../helpers/ports.js';
import { profileYaml, startApi, type ApiHarness } from './harness.js';

const run = promisify(execFile);
const HK = 'trojan 香港';

describe('UI support routes', () => {
  let h: ApiHarness;
  let target: HttpTarget;

  /** One request through the mixed port; `IP-CIDR,127.0.0.0/8,auto` sends it through the pool `auto`. */
  const fetchThroughProxy = () => run('curl', ['-sS', '--max-time', '10', '-x', `socks5h://127.0.0.1:${h.mixedPort}`, '-o', '/dev/null', target.url('/hello')]);
  const connectionsOf = (name: string) => h.engine.stats.sample(name).connections;

  beforeAll(async () => {
    target = await startHttpTarget();
    // The harness profile plus one group that sets every probe and health setting.
    const slow =
      '  - { name: slow, type: load-balance, strategy: least-connections, proxies: [jp1], url: "http://127.0.0.1:9/t", interval: 60, timeout: 1500, tolerance: 30, max-failed-times: 2, fail-timeout: 12, lazy: true }\n';
    h = await startApi(profileYaml({ deadPort: await freePort() }).replace('  - { name: fast,', `${slow}  - { name: fast,`));
  });

  afterAll(async () => {
    await h?.close();
    await target?.close();
  });

  it('GET /switchyard/strategies lists every strategy in the design order, with the health score weights', async () => {
    const res = await h.call('GET', '/switchyard/strategies');
    expect(res.status).toBe(200);
    expect(res.json.strategies).toEqual([
      'round-robin',
      'random',
      'weighted-round-robin',
      'least-connections',
      'weighted-least-connections',
      'weighted-latency',
      'least-latency',
      'health-score',
      'consistent-hashing',
      'sticky-sessions',
      'failover',
    ]);
    expect(res.json.healthScore).toEqual({
      weights: { latency: 0.4, failures: 0.3, load: 0.15, speed: 0.15 },
      scales: { latencyMs: 300, activeConnections: 10, speedMbps: 20 },
    });
  });

  it('GET /switchyard/probe-settings gives each group its own settings, and the defaults where it sets none', async () => {
    const res = await h.call('GET', '/switchyard/probe-settings');
    expect(res.status).toBe(200);
    expect(res.json.pools.slow).toEqual({ url: 'http://127.0.0.1:9/t', intervalS: 60, timeoutMs: 1500, tolerance: 30, maxFailedTimes: 2, failTimeoutS: 12, lazy: true });
    // round-robin reads no probe results: not scheduled unless asked
    expect(res.json.pools.auto).toEqual({ url: null, intervalS: 0, timeoutMs: 5000, tolerance: 0, maxFailedTimes: 5, failTimeoutS: 30, lazy: false });
    // interval: 0 turns a url-test group's schedule off
    expect(res.json.pools.fast.intervalS).toBe(0);
    expect(Object.keys(res.json.pools).sort()).toEqual(['auto', 'fast', 'manual', 'slow']);
  });

  it('PUT /switchyard/pools/{name}/strategy switches a running pool: round-robin spreads, failover then keeps to the first member', async () => {
    // Round-robin first: four requests reach both members.
    const before = { hk: connectionsOf(HK), jp: connectionsOf('jp1') };
    for (let i = 0; i < 4; i++) await fetchThroughProxy();
    expect(connectionsOf(HK) - before.hk).toBe(2);
    expect(connectionsOf('jp1') - before.jp).toBe(2);

    const put = await h.call('PUT', '/switchyard/pools/auto/strategy', { body: { strategy: 'failover' } });
    expect(put.status).toBe(204);
    const pools = (await h.call('GET', '/switchyard/pools')).json.pools;
    expect(pools.find((p: { name: string }) => p.name === 'auto').strategy).toBe('failover');
    expect((await h.call('GET', '/proxies/auto')).json.strategy).toBe('failover');
    expect(h.logLines.some((l) => l.includes('pool strategy changed by the controller'))).toBe(true);

    const mid = { hk: connectionsOf(HK), jp: connectionsOf('jp1') };
    for (let i = 0; i < 4; i++) await fetchThroughProxy();
    expect(connectionsOf(HK) - mid.hk).toBe(4);
    expect(connectionsOf('jp1') - mid.jp).toBe(0);

    // And back: the new round-robin starts afresh and spreads again.
    expect((await h.call('PUT', '/switchyard/pools/auto/strategy', { body: { strategy: 'round-robin' } })).status).toBe(204);
    const after = { hk: connectionsOf(HK), jp: connectionsOf('jp1') };
    for (let i = 0; i < 4; i++) await fetchThroughProxy();
    expect(connectionsOf(HK) - after.hk).toBe(2);
    expect(connectionsOf('jp1') - after.jp).toBe(2);
  });

  it('refuses an unknown strategy by listing the known ones, and changes nothing', async () => {
    const res = await h.call('PUT', '/switchyard/pools/auto/strategy', { body: { strategy: 'fastest' } });
    expect(res.status).toBe(400);
    expect(res.json.message).toMatch(/^strategy: unknown strategy "fastest"; known strategies: .*round-robin/);
    expect((await h.call('GET', '/proxies/auto')).json.strategy).toBe('round-robin');
  });

  it('refuses a group whose type implies its strategy, an unknown pool, a bad body, and a missing secret', async () => {
    const fixed = await h.call('PUT', '/switchyard/pools/fast/strategy', { body: { strategy: 'random' } });
    expect(fixed.status).toBe(400);
    expect(fixed.json.message).toBe('pool "fast" is a url-test group, whose strategy is always least-latency; only load-balance groups choose one');
    expect((await h.call('GET', '/proxies/fast')).json.strategy).toBe('least-latency');

    const missing = await h.call('PUT', `/switchyard/pools/${encodeURIComponent('nope 池')}/strategy`, { body: { strategy: 'random' } });
    expect(missing.status).toBe(404);
    expect(missing.json.message).toBe('pool "nope 池" not found');

    const noName = await h.call('PUT', '/switchyard/pools/auto/strategy', { body: { strategy: 5 } });
    expect(noName.status).toBe(400);
    expect(noName.json.message).toBe('strategy: expected a strategy name, got 5');

    const notJson = await h.call('PUT', '/switchyard/pools/auto/strategy', { rawBody: 'random', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);

    for (const [method, path] of [
      ['GET', '/switchyard/strategies'],
      ['GET', '/switchyard/probe-settings'],
      ['PUT', '/switchyard/pools/auto/strategy'],
    ] as const) {
      expect((await h.call(method, path, { auth: false, body: { strategy: 'random' } })).status).toBe(401);
    }
    expect((await h.call('GET', '/proxies/auto')).json.strategy).toBe('round-robin');
  });
});
