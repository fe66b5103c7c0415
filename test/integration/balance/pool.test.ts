import { afterEach, describe, expect, it } from 'vitest';
import type { DialContext } from '../../../core/adapter/outbound.js';
import { ConfigError, ProxyError } from '../../../core/adapter/errors.js';
import { Pool, type MemberEjectedEvent, type PoolConfig } from '../../../core/balance/pool.js';
import { PoolNotSelectableError, UnknownMemberError, UnknownStrategyError } from '../../../core/balance/errors.js';
import { createReject } from '../../../core/protocol/reject/index.js';
import { BannerServer, closed, memberFor, readBanner } from './banner-servers.js';

const started: BannerServer[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

async function servers(...names: string[]) {
  const list = await Promise.all(names.map((n) => new BannerServer(n).start()));
  started.push(...list);
  return list;
}

function fakeClock() {
  const clock = { t: 1_700_000_000_000, now: () => clock.t };
  return clock;
}

function context(chain: string[] = ['auto']): DialContext {
  return {
    meta: {
      id: 't',
      network: 'tcp',
      inbound: 'socks5',
      source: { address: '127.0.0.1', port: 50000 },
      destination: { host: 'example.com', port: 80 },
      startedAt: 0,
    },
    chain,
  };
}

const dest = { host: 'example.com', port: 80 };

/** Dials once and returns which member answered, closing the connection after. */
async function dialOnce(pool: Pool, ctx = context()): Promise<string> {
  const stream = await pool.dial(dest, ctx);
  const banner = await readBanner(stream);
  stream.destroy();
  await closed(stream);
  return banner;
}

async function rejection(promise: Promise<unknown>): Promise<ProxyError> {
  try {
    await promise;
  } catch (err) {
    return err as ProxyError;
  }
  throw new Error('expected the dial to fail');
}

const pool = (config: Partial<PoolConfig> & Pick<PoolConfig, 'members'>, clock = fakeClock()) =>
  new Pool({ name: 'auto', type: 'load-balance', ...config }, { clock });

describe('Pool over real loopback servers', () => {
  it('round-robin spreads 30 connections over 3 members, 10 each, in list order', async () => {
    const [a, b, c] = await servers('a', 'b', 'c');
    const p = pool({ members: [a!, b!, c!].map(memberFor) });
    const picks: string[] = [];
    for (let i = 0; i < 30; i++) {
      const ctx = context();
      picks.push(await dialOnce(p, ctx));
      expect(ctx.chain).toEqual(['auto', picks.at(-1)]);
    }
    expect(picks).toEqual(Array.from({ length: 30 }, (_, i) => ['a', 'b', 'c'][i % 3]));
    expect([a!.accepted, b!.accepted, c!.accepted]).toEqual([10, 10, 10]);
    expect(p.snapshot().now).toBe('c');
  });

  it('ejects a member whose server is down after max-failed-times, while every client dial still succeeds', async () => {
    const [a, b, c] = await servers('a', 'b', 'c');
    await b!.stop();
    const clock = fakeClock();
    const members = [a!, b!, c!].map(memberFor);
    const p = pool({ members, maxFailedTimes: 3, failTimeoutMs: 30_000 }, clock);
    const ejected: MemberEjectedEvent[] = [];
    p.onMemberEjected((e) => ejected.push(e));

    const picks: string[] = [];
    for (let i = 0; i < 30; i++) picks.push(await dialOnce(p));
    expect(picks).not.toContain('b');
    expect(picks).toHaveLength(30);
    expect(members[1]!.dials).toBe(3); // tried until ejected, then left alone
    expect(ejected).toHaveLength(1);
    expect(ejected[0]).toMatchObject({ pool: 'auto', member: 'b', until: clock.t + 30_000 });
    expect(ejected[0]!.error.code).toBe('CONNECTION_REFUSED');
    const bSnap = p.snapshot().members[1]!;
    expect(bSnap).toMatchObject({ name: 'b', alive: false, ejectedUntil: clock.t + 30_000, failures: 0 });

    // The server comes back; the member stays out until fail-timeout is over.
    await b!.start();
    clock.t += 29_999;
    for (let i = 0; i < 6; i++) expect(await dialOnce(p)).not.toBe('b');
    clock.t += 1;
    expect(p.snapshot().members[1]).toMatchObject({ alive: true, ejectedUntil: null });
    const after: string[] = [];
    for (let i = 0; i < 3; i++) after.push(await dialOnce(p));
    expect(after.sort()).toEqual(['a', 'b', 'c']);
    expect(b!.accepted).toBe(1);
  });

  it('counts failures only within the window, and a success resets the count', async () => {
    const [a] = await servers('a');
    const [b] = await servers('b');
    await b!.stop();
    const clock = fakeClock();
    const p = new Pool({ name: 'fb', type: 'fallback', members: [b!, a!].map(memberFor), maxFailedTimes: 2, failWindowMs: 60_000 }, { clock });
    expect(await dialOnce(p)).toBe('a'); // b failed once, retried on a
    clock.t += 60_001;
    expect(await dialOnce(p)).toBe('a'); // the first failure fell out of the window
    expect(p.snapshot().members[0]).toMatchObject({ alive: true, failures: 1 });
    await b!.start();
    expect(await dialOnce(p)).toBe('b');
    expect(p.snapshot().members[0]).toMatchObject({ alive: true, failures: 0 });
  });

  it('puts the member that carried the connection on ctx.chain after a failed first try', async () => {
    const [a, b] = await servers('a', 'b');
    await a!.stop();
    const p = new Pool({ name: 'fb', type: 'fallback', members: [a!, b!].map(memberFor) }, { clock: fakeClock() });
    const bare = context([]);
    expect(await dialOnce(p, bare)).toBe('b');
    expect(bare.chain).toEqual(['b']);
    const routed = context(['fb']);
    expect(await dialOnce(p, routed)).toBe('b');
    expect(routed.chain).toEqual(['fb', 'b']);
  });

  it('uses backup members only while no primary member is alive', async () => {
    const [a, b, k] = await servers('a', 'b', 'k');
    const backup = memberFor(k!);
    const p = pool({ members: [a!, b!].map(memberFor), backup: [backup] });
    for (let i = 0; i < 10; i++) expect(await dialOnce(p)).not.toBe('k');
    expect(backup.dials).toBe(0);

    p.setProbeState('a', { alive: false });
    expect(await dialOnce(p)).toBe('b');
    p.setProbeState('b', { alive: false });
    const ctx = context();
    expect(await dialOnce(p, ctx)).toBe('k');
    expect(ctx.chain).toEqual(['auto', 'k']);
    p.setProbeState('b', { alive: true });
    expect(await dialOnce(p)).toBe('b');
    expect(backup.dials).toBe(1);
  });

  it('moves to the backup within one client dial when the last primaries fail and get ejected', async () => {
    const [a, b, k] = await servers('a', 'b', 'k');
    await a!.stop();
    await b!.stop();
    const p = pool({ members: [a!, b!].map(memberFor), backup: [memberFor(k!)], maxFailedTimes: 1 });
    const ejected: string[] = [];
    p.onMemberEjected((e) => ejected.push(e.member));
    p.onMemberEjected(() => {
      throw new Error('a listener bug must not reach the client');
    });
    const ctx = context();
    expect(await dialOnce(p, ctx)).toBe('k');
    expect(ctx.chain).toEqual(['auto', 'k']);
    expect(p.snapshot().members.map((m) => m.alive)).toEqual([false, false]);
    expect(ejected).toEqual(['a', 'b']);
  });

  it('fails with NO_ALIVE_MEMBER listing each member tried and its error code when all fail', async () => {
    const list = await servers('a', 'b', 'c', 'd');
    await Promise.all(list.map((s) => s.stop()));
    const members = list.map(memberFor);
    const p = pool({ members });
    const ctx = context();
    const err = await rejection(p.dial(dest, ctx));
    expect(err).toBeInstanceOf(ProxyError);
    expect(err.code).toBe('NO_ALIVE_MEMBER');
    expect(err.httpStatus).toBe(503);
    expect(err.message).toContain('a CONNECTION_REFUSED, b CONNECTION_REFUSED, c CONNECTION_REFUSED');
    expect(members.map((m) => m.dials)).toEqual([1, 1, 1, 0]); // one try plus at most 2 more
    expect(ctx.chain).toEqual(['auto']);
  });

  it('passes on the member’s own error when only one member was tried', async () => {
    const [a] = await servers('a');
    await a!.stop();
    const p = pool({ members: [memberFor(a!)] });
    const err = await rejection(p.dial(dest, context()));
    expect(err.code).toBe('CONNECTION_REFUSED');
    expect(err.message).toBe(`connect 127.0.0.1:${a!.port}: connect ECONNREFUSED 127.0.0.1:${a!.port}`);
  });

  it('fails at once with NO_ALIVE_MEMBER saying why when nobody is alive', async () => {
    const [a, b] = await servers('a', 'b');
    await b!.stop();
    const members = [a!, b!].map(memberFor);
    const p = pool({ members, maxFailedTimes: 1 });
    p.setProbeState('a', { alive: false });
    expect((await rejection(p.dial(dest, context()))).code).toBe('CONNECTION_REFUSED');
    const err = await rejection(p.dial(dest, context()));
    expect(err.code).toBe('NO_ALIVE_MEMBER');
    expect(err.message).toBe('pool auto has no alive member: a down by health check, b ejected for 30 s after repeated failures');
    expect(members.map((m) => m.dials)).toEqual([0, 1]);
  });

  it('counts active connections per member: up when a dial succeeds, down when the stream closes', async () => {
    const [a, b] = await servers('a', 'b');
    const p = pool({ members: [a!, b!].map(memberFor), strategy: 'least-connections' });
    const active = () => p.snapshot().members.map((m) => m.activeConnections);
    const s1 = await p.dial(dest, context());
    const s2 = await p.dial(dest, context());
    const s3 = await p.dial(dest, context());
    expect(await Promise.all([s1, s2, s3].map(readBanner))).toEqual(['a', 'b', 'a']);
    expect(active()).toEqual([2, 1]);
    s1.destroy();
    await closed(s1);
    expect(active()).toEqual([1, 1]);
    const s4 = await p.dial(dest, context());
    expect(await readBanner(s4)).toBe('a'); // tie again, list order
    s3.resume();
    s3.end(); // a graceful close counts too, once both sides are done
    await closed(s3);
    expect(active()).toEqual([1, 1]);
    for (const s of [s2, s4]) {
      s.destroy();
      await closed(s);
    }
    expect(active()).toEqual([0, 0]);
  });

  it('does not retry a RULE_REJECTED from a member, nor count it against the member', async () => {
    const [a] = await servers('a');
    const after = memberFor(a!);
    const p = new Pool({ name: 'fb', type: 'fallback', members: [createReject('REJECT'), after] }, { clock: fakeClock() });
    const ctx = context(['fb']);
    const err = await rejection(p.dial(dest, ctx));
    expect(err.code).toBe('RULE_REJECTED');
    expect(after.dials).toBe(0);
    expect(ctx.chain).toEqual(['fb']);
    expect(p.snapshot().members[0]).toMatchObject({ name: 'REJECT', alive: true, failures: 0 });
  });

  it('does not retry an aborted dial', async () => {
    const [a, b] = await servers('a', 'b');
    const members = [a!, b!].map(memberFor);
    const p = pool({ members });
    const abort = new AbortController();
    abort.abort();
    const err = await rejection(p.dial(dest, { ...context(), signal: abort.signal }));
    expect(err.code).toBe('ABORTED');
    expect(members.map((m) => m.dials)).toEqual([1, 0]);
    expect(p.snapshot().members[0]!.failures).toBe(0);
  });

  it('nests pools: the chain records each level, and a parent skips a child pool with nobody alive', async () => {
    const [a, b, c] = await servers('a', 'b', 'c');
    const clock = fakeClock();
    const inner = new Pool({ name: 'inner', type: 'load-balance', members: [a!, b!].map(memberFor) }, { clock });
    const cMember = memberFor(c!);
    const outer = new Pool({ name: 'outer', type: 'fallback', members: [inner, cMember] }, { clock });
    const ctx = context(['outer']);
    expect(await dialOnce(outer, ctx)).toBe('a');
    expect(ctx.chain).toEqual(['outer', 'inner', 'a']);

    inner.setProbeState('a', { alive: false });
    inner.setProbeState('b', { alive: false });
    const ctx2 = context(['outer']);
    expect(await dialOnce(outer, ctx2)).toBe('c');
    expect(ctx2.chain).toEqual(['outer', 'c']);
    expect(outer.snapshot().members[0]).toMatchObject({ name: 'inner', type: 'load-balance', alive: false, failures: 0 });
  });

  it('retries past a child pool that failed as a whole', async () => {
    const [a, b, c] = await servers('a', 'b', 'c');
    await a!.stop();
    await b!.stop();
    const clock = fakeClock();
    const inner = new Pool({ name: 'inner', type: 'load-balance', members: [a!, b!].map(memberFor) }, { clock });
    const outer = new Pool({ name: 'outer', type: 'fallback', members: [inner, memberFor(c!)] }, { clock });
    const ctx = context(['outer']);
    expect(await dialOnce(outer, ctx)).toBe('c');
    expect(ctx.chain).toEqual(['outer', 'c']);
    expect(outer.snapshot().members[0]!.failures).toBe(1);
  });

  it('select dials the chosen member and only that one', async () => {
    const [a, b, c] = await servers('a', 'b', 'c');
    const members = [a!, b!, c!].map(memberFor);
    const p = new Pool({ name: 'pick', type: 'select', members }, { clock: fakeClock() });
    expect(p.snapshot()).toMatchObject({ strategy: 'select', now: 'a' });
    expect(await dialOnce(p)).toBe('a');
    p.select('c');
    expect(p.snapshot().now).toBe('c');
    expect(await dialOnce(p)).toBe('c');
    expect(() => p.select('nope')).toThrow(UnknownMemberError);
    try {
      p.select('nope');
    } catch (e) {
      expect((e as UnknownMemberError).code).toBe('UNKNOWN_MEMBER');
      expect((e as Error).message).toContain('a, b, c');
    }
    await c!.stop();
    expect((await rejection(p.dial(dest, context()))).code).toBe('CONNECTION_REFUSED');
    expect(members.map((m) => m.dials)).toEqual([1, 0, 2]);
  });

  it('only a select pool takes a choice', async () => {
    const [a] = await servers('a');
    const p = pool({ members: [memberFor(a!)] });
    expect(() => p.select('a')).toThrow(PoolNotSelectableError);
  });

  it('url-test follows the latency probes report, with tolerance', async () => {
    const [a, b, c] = await servers('a', 'b', 'c');
    const p = new Pool({ name: 'fast', type: 'url-test', members: [a!, b!, c!].map(memberFor), tolerance: 50 }, { clock: fakeClock() });
    expect(p.strategy).toBe('least-latency');
    expect(await dialOnce(p)).toBe('a'); // nothing measured yet: list order
    expect(p.setProbeState('b', { alive: true, latencyMs: 100 })).toBe(true);
    p.setProbeState('c', { latencyMs: 300 });
    expect(p.snapshot().now).toBe('b');
    expect(await dialOnce(p)).toBe('b');
    p.setProbeState('a', { latencyMs: 60 });
    expect(await dialOnce(p)).toBe('b'); // 40 ms better is within tolerance
    p.setProbeState('a', { latencyMs: 40 });
    expect(await dialOnce(p)).toBe('a');
    expect(p.snapshot().members.map((m) => m.latencyMs)).toEqual([40, 100, 300]);
    expect(p.setProbeState('zz', { alive: false })).toBe(false);
  });

  it('weighted-round-robin takes weights from the members’ config', async () => {
    const [a, b, c] = await servers('a', 'b', 'c');
    const p = pool({ members: [a!, b!, c!].map(memberFor), strategy: 'weighted-round-robin', weights: { a: 5 } });
    const picks: string[] = [];
    for (let i = 0; i < 14; i++) picks.push(await dialOnce(p));
    expect(picks.join('')).toBe('aabacaaaabacaa');
    expect(p.snapshot().members.map((m) => m.weight)).toEqual([5, 1, 1]);
  });

  it('refuses an unknown strategy and a weight that is not positive when built', async () => {
    const [a] = await servers('a');
    expect(() => pool({ members: [memberFor(a!)], strategy: 'fastest' })).toThrow(UnknownStrategyError);
    expect(() => pool({ members: [memberFor(a!)], weights: { a: 0 } })).toThrow(ConfigError);
  });

  it('snapshot() is plain data for the API', async () => {
    const [a, k] = await servers('a', 'k');
    const clock = fakeClock();
    const p = pool({ members: [memberFor(a!)], backup: [memberFor(k!)], strategy: 'least-connections' }, clock);
    p.setProbeState('a', { latencyMs: 42, speedMbps: 95.5 });
    const stream = await p.dial(dest, context());
    expect(JSON.parse(JSON.stringify(p.snapshot()))).toEqual({
      name: 'auto',
      type: 'load-balance',
      strategy: 'least-connections',
      now: 'a',
      members: [
        { name: 'a', type: 'test-server', alive: true, ejectedUntil: null, activeConnections: 1, failures: 0, weight: 1, latencyMs: 42, speedMbps: 95.5 },
      ],
      backup: [
        { name: 'k', type: 'test-server', alive: true, ejectedUntil: null, activeConnections: 0, failures: 0, weight: 1, latencyMs: null, speedMbps: null },
      ],
    });
    stream.destroy();
    await closed(stream);
  });
});
