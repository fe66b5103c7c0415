import { describe, expect, it } from 'vitest';
import { HostResolver } from '../../../core/route/resolver.js';

const text = (ips: { v6: boolean; bytes: Uint8Array }[]) => ips.map((ip) => (ip.v6 ? 'v6' : [...ip.bytes].join('.')));

describe('host resolver for IP rules', () => {
  it('resolves localhost through the system resolver to loopback only', async () => {
    const ips = await new HostResolver().resolve('localhost');
    expect(ips.length).toBeGreaterThan(0);
    for (const ip of ips) expect(ip.v6 ? [...ip.bytes].join(',') : [...ip.bytes][0]).toBe(ip.v6 ? '0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1' : 127);
  });

  it('lookups of one name at the same time share one query; the answer is cached', async () => {
    const r = new HostResolver();
    const answers = await Promise.all(Array.from({ length: 20 }, () => r.resolve('localhost')));
    expect(r.queries).toBe(1);
    expect(new Set(answers.map((a) => JSON.stringify(text(a)))).size).toBe(1);
    await r.resolve('localhost');
    expect(r.queries).toBe(1);
  });

  it('asks again once the answer is older than the ttl', async () => {
    let now = 1_000;
    const r = new HostResolver({ ttlMs: 500, now: () => now });
    await r.resolve('localhost');
    now += 499;
    await r.resolve('localhost');
    expect(r.queries).toBe(1);
    now += 2;
    await r.resolve('localhost');
    expect(r.queries).toBe(2);
  });

  it('a name that does not exist resolves to nothing', async () => {
    expect(await new HostResolver().resolve('no-such-name.invalid')).toEqual([]);
  });

  it('a resolver that does not answer in time counts as no address', async () => {
    // A DNS server that never answers: the lookup hangs until the timeout.
    const r = new HostResolver({ timeoutMs: 100, lookup: () => new Promise(() => {}) });
    const started = Date.now();
    expect(await r.resolve('slow.test')).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('keeps at most maxEntries names', async () => {
    const r = new HostResolver({ maxEntries: 2, lookup: async (h) => [h === 'a' ? '10.0.0.1' : '10.0.0.2'] });
    await r.resolve('a');
    await r.resolve('b');
    await r.resolve('c');
    await r.resolve('b');
    expect(r.queries).toBe(3);
    await r.resolve('a');
    expect(r.queries).toBe(4);
  });
});
