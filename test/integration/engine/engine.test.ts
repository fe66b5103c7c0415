import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../core/engine.js';
import { loadProfile } from '../../../core/config/load.js';
import { createProtocolRegistry } from '../../../core/protocol/index.js';
import { startHttpTarget, expectedSha256, type HttpTarget } from '../../helpers/http-target.js';
import { startMicrosocks, startDanted, startTinyproxy, type ReferenceServer } from '../../helpers/reference-servers.js';
import { curl, getViaSocks, inParallel } from '../../helpers/clients.js';
import { freePort } from '../../helpers/ports.js';

/**
 * The whole core as `switchyard run` builds it — profile → engine → mixed inbound → rules → pool →
 * real upstream proxies — driven by real clients. Each microsocks binds its outgoing connections to its
 * own 127.0.0.x, so the target itself tells which upstream carried each request.
 */
const registry = createProtocolRegistry();
let target: HttpTarget;
const micro: ReferenceServer[] = [];
const MICRO_ADDR = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
let danted: ReferenceServer;
let tinyproxy: ReferenceServer;
const engines: Engine[] = [];

async function startEngine(yaml: string): Promise<{ engine: Engine; port: number }> {
  const { profile } = loadProfile(yaml, registry);
  const engine = new Engine(profile, { mixedPort: 0 });
  engines.push(engine);
  const { mixed } = await engine.start();
  return { engine, port: mixed.port };
}

const microsocksProxies = () =>
  micro.map((m, i) => `  - { name: m${i + 1}, type: socks5, server: 127.0.0.1, port: ${m.port} }`).join('\n');

function resetSources(): void {
  target.sources.clear();
}

/** An engine whose every connection goes to one load-balance pool over m1..m3 with `strategy`; sources counted from zero. */
async function startPoolOverMicrosocks(strategy: string): Promise<{ engine: Engine; port: number }> {
  const started = await startEngine(`
proxies:
${microsocksProxies()}
proxy-groups:
  - { name: pool, type: load-balance, strategy: ${strategy}, proxies: [m1, m2, m3] }
rules:
  - MATCH,pool
`);
  resetSources();
  return started;
}

const countsBySource = () => MICRO_ADDR.map((a) => target.sources.get(a) ?? 0);

beforeAll(async () => {
  target = await startHttpTarget();
  for (const addr of MICRO_ADDR) micro.push(await startMicrosocks({ bindOutgoing: addr }));
  danted = await startDanted();
  tinyproxy = await startTinyproxy({ connectPorts: [target.port] });
});

afterAll(async () => {
  await Promise.all(engines.map((e) => e.stop()));
  await Promise.all([...micro, danted, tinyproxy].map((s) => s?.stop()));
  await target?.close();
});

describe('engine with real upstreams', () => {
  it('carries 50 MiB intact through a pool of microsocks, danted and tinyproxy, over SOCKS5 and HTTP CONNECT', async () => {
    const { engine, port } = await startEngine(`
proxies:
  - { name: micro, type: socks5, server: 127.0.0.1, port: ${micro[0]!.port} }
  - { name: dante, type: socks5, server: 127.0.0.1, port: ${danted.port} }
  - { name: tiny, type: http, server: 127.0.0.1, port: ${tinyproxy.port} }
proxy-groups:
  - { name: pool, type: load-balance, strategy: round-robin, proxies: [micro, dante, tiny] }
rules:
  - MATCH,pool
`);
    const size = 50 * 1024 * 1024;
    const want = expectedSha256(size);
    const url = target.url(`/bytes/${size}`);
    // Round-robin: three downloads, one through each upstream, two client protocols.
    const results = [
      await curl(['--socks5-hostname', `127.0.0.1:${port}`, url]),
      await curl(['-p', '-x', `http://127.0.0.1:${port}`, url]),
      await curl(['--socks5', `127.0.0.1:${port}`, url]),
    ];
    for (const r of results) {
      expect(r.stderr).toBe('');
      expect(r.bytes).toBe(size);
      expect(r.sha256).toBe(want);
    }
    for (const name of ['micro', 'dante', 'tiny']) {
      const s = engine.stats.sample(name);
      expect(s.connections, name).toBe(1);
      expect(s.down, name).toBeGreaterThanOrEqual(size);
    }
    expect(engine.stats.sample('pool').connections).toBe(3);
    expect(engine.stats.sample('pool').down).toBeGreaterThanOrEqual(3 * size);
  });

  it('spreads 30 connections round-robin over 3 upstreams: 10 each, counted at the target', async () => {
    const { engine, port } = await startPoolOverMicrosocks('round-robin');
    const results = await inParallel(30, 6, () => getViaSocks(port, target.url('/hello')));
    expect(results.map((r) => r.status)).toEqual(Array(30).fill(200));
    expect(countsBySource()).toEqual([10, 10, 10]);
    expect(['m1', 'm2', 'm3'].map((n) => engine.stats.sample(n).connections)).toEqual([10, 10, 10]);
  });

  it('ejects an upstream killed mid-run while every client request still succeeds', async () => {
    const victim = await startMicrosocks({ bindOutgoing: '127.0.0.5' });
    const { engine, port } = await startEngine(`
proxies:
  - { name: m1, type: socks5, server: 127.0.0.1, port: ${micro[0]!.port} }
  - { name: victim, type: socks5, server: 127.0.0.1, port: ${victim.port} }
  - { name: m3, type: socks5, server: 127.0.0.1, port: ${micro[2]!.port} }
proxy-groups:
  - { name: pool, type: load-balance, strategy: round-robin, proxies: [m1, victim, m3], max-failed-times: 2, fail-timeout: 60 }
rules:
  - MATCH,pool
`);
    resetSources();
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) {
      if (i === 15) await victim.stop();
      statuses.push((await getViaSocks(port, target.url('/hello'))).status);
    }
    expect(statuses).toEqual(Array(60).fill(200));
    const pool = engine.pools.get('pool')!.snapshot();
    const victimState = pool.members.find((m) => m.name === 'victim')!;
    expect(victimState.ejectedUntil).toBeGreaterThan(Date.now());
    // Before the kill it carried its share (5 of the first 15); after, nothing more.
    expect(target.sources.get('127.0.0.5')).toBe(5);
    expect((target.sources.get('127.0.0.2') ?? 0) + (target.sources.get('127.0.0.4') ?? 0)).toBe(55);
  });

  it('weighted-round-robin follows the weights: 3:1:1 over 50 connections', async () => {
    const { port } = await startEngine(`
proxies:
  - { name: m1, type: socks5, server: 127.0.0.1, port: ${micro[0]!.port}, weight: 3 }
  - { name: m2, type: socks5, server: 127.0.0.1, port: ${micro[1]!.port} }
  - { name: m3, type: socks5, server: 127.0.0.1, port: ${micro[2]!.port} }
proxy-groups:
  - { name: pool, type: load-balance, strategy: weighted-round-robin, proxies: [m1, m2, m3] }
rules:
  - MATCH,pool
`);
    resetSources();
    await inParallel(50, 5, () => getViaSocks(port, target.url('/hello')));
    expect(countsBySource()).toEqual([30, 10, 10]);
  });

  it('least-connections sends each new connection to the least busy upstream', async () => {
    const { engine, port } = await startPoolOverMicrosocks('least-connections');
    // Two slow requests hold m1 and m2; the next quick ones must all go to m3 while they last.
    const slow = [getViaSocks(port, target.url('/slow/1500')), getViaSocks(port, target.url('/slow/1500'))];
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 4; i++) await getViaSocks(port, target.url('/hello'));
    await Promise.all(slow);
    expect(countsBySource()).toEqual([1, 1, 4]);
    // The upstream sockets close a moment after the clients have their answers.
    const active = () => engine.pools.get('pool')!.snapshot().members.map((m) => m.activeConnections);
    for (let i = 0; i < 50 && active().some((n) => n > 0); i++) await new Promise((r) => setTimeout(r, 20));
    expect(active()).toEqual([0, 0, 0]);
  });

  it('failover uses the first live member, and backup only when every primary is down', async () => {
    const dead1 = await freePort();
    const dead2 = await freePort();
    const fo = await startEngine(`
proxies:
  - { name: dead1, type: socks5, server: 127.0.0.1, port: ${dead1} }
  - { name: m2, type: socks5, server: 127.0.0.1, port: ${micro[1]!.port} }
  - { name: m3, type: socks5, server: 127.0.0.1, port: ${micro[2]!.port} }
proxy-groups:
  - { name: fo, type: fallback, proxies: [dead1, m2, m3] }
rules:
  - MATCH,fo
`);
    resetSources();
    for (let i = 0; i < 5; i++) expect((await getViaSocks(fo.port, target.url('/hello'))).status).toBe(200);
    expect(countsBySource()).toEqual([0, 5, 0]);
    const backup = await startEngine(`
proxies:
  - { name: m1, type: socks5, server: 127.0.0.1, port: ${micro[0]!.port} }
  - { name: dead2, type: socks5, server: 127.0.0.1, port: ${dead2} }
  - { name: m3, type: socks5, server: 127.0.0.1, port: ${micro[2]!.port} }
proxy-groups:
  - { name: pool, type: load-balance, proxies: [dead2], backup: [m3, m1], strategy: failover, max-failed-times: 1 }
rules:
  - MATCH,pool
`);
    resetSources();
    for (let i = 0; i < 3; i++) expect((await getViaSocks(backup.port, target.url('/hello'))).status).toBe(200);
    expect(countsBySource()).toEqual([0, 0, 3]);
    expect(backup.engine.pools.get('pool')!.snapshot().members[0]!.alive).toBe(false);
  });

  it('routes by rule: DIRECT for a domain, the pool for the rest, and records rule and chain', async () => {
    const { engine, port } = await startEngine(`
proxies:
${microsocksProxies()}
proxy-groups:
  - { name: pool, type: load-balance, strategy: round-robin, proxies: [m1, m2, m3] }
rules:
  - DOMAIN-SUFFIX,localhost,DIRECT
  - IP-CIDR,127.0.0.0/8,pool,no-resolve
  - MATCH,REJECT
`);
    resetSources();
    const seen: { rule: string; payload: string; chain: string[] }[] = [];
    const timer = setInterval(() => {
      for (const c of engine.tracker.snapshot()) seen.push({ rule: c.rule, payload: c.rulePayload, chain: c.chain });
    }, 20);
    const direct = await getViaSocks(port, `http://localhost:${target.port}/slow/200`);
    const pooled = await getViaSocks(port, target.url('/slow/200'));
    clearInterval(timer);
    expect([direct.status, pooled.status]).toEqual([200, 200]);
    expect(target.sources.get('127.0.0.1')).toBe(1);
    expect(countsBySource().reduce((a, b) => a + b)).toBe(1);
    expect(seen).toContainEqual({ rule: 'DOMAIN-SUFFIX', payload: 'localhost', chain: ['DIRECT'] });
    expect(seen).toContainEqual({ rule: 'IP-CIDR', payload: '127.0.0.0/8', chain: ['pool', 'm1'] });
    // MATCH,REJECT: a name that matches neither rule is refused with SOCKS "not allowed".
    await expect(getViaSocks(port, 'http://unmatched.invalid/')).rejects.toThrow(/not allowed|0x02|rejected/i);
  });

  it('mode direct and global bypass the rules', async () => {
    const { engine, port } = await startEngine(`
proxies:
${microsocksProxies()}
proxy-groups:
  - { name: pool, type: load-balance, proxies: [m1, m2, m3] }
rules:
  - MATCH,REJECT
`);
    resetSources();
    engine.setMode('direct');
    expect((await getViaSocks(port, target.url('/hello'))).status).toBe(200);
    expect(target.sources.get('127.0.0.1')).toBe(1);
    engine.setMode('global');
    expect((await getViaSocks(port, target.url('/hello'))).status).toBe(200);
    expect(countsBySource().reduce((a, b) => a + b)).toBe(1);
  });
});
