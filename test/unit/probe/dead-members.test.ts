import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { DialContext, Outbound } from '../../../core/adapter/outbound.js';
import { Pool, type PoolType } from '../../../core/balance/pool.js';
import { strategyNames } from '../../../core/balance/strategies.js';
import { seededRandom } from '../balance/fixtures.js';

/** An outbound that always connects (an in-memory stream): the pool's choice is what is under test. */
function reachable(name: string): Outbound {
  return { name, type: 'test', dial: async () => new PassThrough() };
}

function context(i: number, round = 0): DialContext {
  return {
    meta: { id: `c${i}`, network: 'tcp', inbound: 'socks5', source: { address: `10.${round}.0.${i % 250}`, port: 1000 + i }, destination: { host: `site${i % 7}.example`, port: 443 }, startedAt: 0 },
    chain: ['p'],
  };
}

/** `round` gives new client addresses, so sticky sessions from an earlier round do not carry over. */
async function picks(pool: Pool, n: number, round: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const ctx = context(i, round);
    const stream = await pool.dial({ host: 'x.example', port: 443 }, ctx);
    stream.destroy();
    out.push(ctx.chain[1]!);
  }
  return out;
}

const cases: { type: PoolType; strategy?: string }[] = [
  ...strategyNames().map((strategy) => ({ type: 'load-balance' as const, strategy })),
  { type: 'url-test' },
  { type: 'fallback' },
];

describe('a member a probe found dead', () => {
  it.each(cases)('is skipped by $type $strategy until a probe succeeds', async ({ type, strategy }) => {
    const pool = new Pool({ name: 'p', type, strategy, members: ['a', 'b', 'c'].map(reachable) }, { random: seededRandom(3) });
    // a is the fastest and first: every strategy would like it
    pool.setProbeState('a', { alive: true, latencyMs: 10 });
    pool.setProbeState('b', { alive: true, latencyMs: 50 });
    pool.setProbeState('c', { alive: true, latencyMs: 90 });
    expect(await picks(pool, 30, 1)).toContain('a');

    pool.setProbeState('a', { alive: false });
    expect(pool.snapshot().members[0]).toMatchObject({ name: 'a', alive: false });
    expect(await picks(pool, 60, 2)).not.toContain('a');

    pool.setProbeState('a', { alive: true, latencyMs: 10 });
    expect(await picks(pool, 60, 3)).toContain('a');
  });

  it('leaves a pool with nobody alive failing with NO_ALIVE_MEMBER, naming the probe', async () => {
    const pool = new Pool({ name: 'p', type: 'load-balance', members: [reachable('a')] });
    pool.setProbeState('a', { alive: false });
    await expect(pool.dial({ host: 'x.example', port: 443 }, context(0))).rejects.toMatchObject({ code: 'NO_ALIVE_MEMBER', message: expect.stringContaining('down by health check') });
  });
});
