import { ApiRequestError, get, pathOf, request } from '../lib/api/client.js';
import type { SpeedResult } from '../lib/api/types.js';
import { runAction } from './actions.svelte.js';
import { live } from './live.svelte.js';
import { pools } from './pools.svelte.js';

export interface LatencyTest {
  /** ms, or null when the test failed. */
  ms: number | null;
  error: string;
  /** `live.seq` when the result came; the stats frames after it carry it too. */
  seq: number;
}

/** Results of tests the user started, by server name. */
export const tests = $state({
  latency: {} as Record<string, LatencyTest>,
  speed: {} as Record<string, SpeedResult>,
});

/** Tests run at once by "test all": enough to be quick, few enough not to queue in the browser. */
const TEST_ALL_CONCURRENCY = 6;

function recordLatency(name: string, ms: number | null, error = ''): void {
  tests.latency[name] = { ms, error, seq: live.seq };
}

/**
 * The test URL and timeout of the first pool holding the server that sets one, so a server is measured
 * the way its pool measures it; none leaves the choice to the core (its default URL).
 */
function delayQuery(name: string): string {
  for (const pool of pools.poolsOfServer.get(name) ?? []) {
    const settings = pools.probeSettings[pool];
    if (settings?.url) return `?${new URLSearchParams({ url: settings.url, timeout: String(settings.timeoutMs) })}`;
  }
  return '';
}

/** One server's latency through the core's probe. */
export function testLatency(name: string): Promise<number | undefined> {
  return runAction(`latency:${name}`, async () => {
    try {
      const { delay } = await get<{ delay: number }>(pathOf('/proxies', name, 'delay') + delayQuery(name));
      recordLatency(name, delay);
      return delay;
    } catch (err) {
      if (err instanceof ApiRequestError && (err.status === 503 || err.status === 504)) recordLatency(name, null, err.message);
      throw err;
    }
  });
}

/** Every member of a pool with the pool's own test settings (mihomo's /group/{name}/delay). */
export function testPool(pool: string): Promise<void> {
  return runAction(`test-pool:${pool}`, () => testPoolMembers(pool));
}

async function testPoolMembers(pool: string): Promise<void> {
  const snapshot = pools.list.find((p) => p.name === pool);
  const members = snapshot ? [...snapshot.members, ...snapshot.backup].map((m) => m.name) : [];
  try {
    const delays = await get<Record<string, number>>(pathOf('/group', pool, 'delay'));
    for (const m of members) recordLatency(m, delays[m] ?? null, delays[m] === undefined ? 'no answer within the timeout' : '');
  } catch (err) {
    if (err instanceof ApiRequestError && err.status === 504) for (const m of members) recordLatency(m, null, err.message);
    throw err;
  }
}

/**
 * Every server: each pool through its own test settings, then the servers in no pool one by one. A
 * failed pool does not stop the others; the errors are gathered into the one message shown by the button.
 */
export function testAll(serverNames: readonly string[]): Promise<void> {
  return runAction('test-all', async () => {
    const failures: string[] = [];
    const work: (() => Promise<unknown>)[] = pools.userPools
      .filter((p) => p.type !== 'select' || p.members.length > 0)
      .map((p) => () => testPoolMembers(p.name).catch((err: Error) => failures.push(`${p.name}: ${err.message}`)));
    const pooled = pools.poolsOfServer;
    for (const name of serverNames) {
      if (!pooled.has(name)) work.push(() => testLatency(name));
    }
    await runLimited(work, TEST_ALL_CONCURRENCY);
    if (failures.length) throw new Error(failures.join('; '));
  });
}

/** A bounded download through the server; the result shows the speed and the bytes it cost. */
export function testSpeed(name: string): Promise<SpeedResult | undefined> {
  return runAction(`speed:${name}`, async () => {
    const result = await request<SpeedResult>('POST', pathOf('/switchyard/speedtest', name), {});
    tests.speed[name] = result;
    if (!result.ok) throw new Error(`speed test failed: ${result.error?.message ?? 'no reason given'}`);
    return result;
  });
}

async function runLimited(jobs: (() => Promise<unknown>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}
