import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../core/engine.js';
import { loadProfile } from '../../../core/config/index.js';
import { createProtocolRegistry } from '../../../core/protocol/index.js';
import { ProbeRepository } from '../../../core/store/probes.js';
import { openStore, type Store } from '../../../core/store/index.js';
import { startHttpTarget, type HttpTarget } from '../../helpers/http-target.js';
import { startControlledSocks5, type ControlledSocks5 } from '../../helpers/controlled-socks5.js';

let target: HttpTarget;
let a: ControlledSocks5;
let b: ControlledSocks5;
const engines: Engine[] = [];
let store: Store | undefined;
let dir: string | undefined;

beforeAll(async () => {
  target = await startHttpTarget();
  a = await startControlledSocks5({ delayMs: 30 });
  b = await startControlledSocks5({ delayMs: 5 });
});
afterAll(async () => {
  await Promise.all([a.close(), b.close(), target.close()]);
});
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.stop()));
  store?.close();
  store = undefined;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
  a.resetCounters();
  b.resetCounters();
});

function profileText(): string {
  return `
mixed-port: 7890
proxies:
  - { name: a, type: socks5, server: 127.0.0.1, port: ${a.port} }
  - { name: b, type: socks5, server: 127.0.0.1, port: ${b.port} }
proxy-groups:
  - { name: auto, type: url-test, proxies: [a, b], url: "${target.url('/hello')}", interval: 1, timeout: 1000 }
  - { name: plain, type: load-balance, strategy: round-robin, proxies: [a, b] }
rules:
  - MATCH,auto
`;
}

function engine(options: ConstructorParameters<typeof Engine>[1] = {}): Engine {
  const { profile } = loadProfile(profileText(), createProtocolRegistry());
  const e = new Engine(profile, { mixedPort: 0, ...options });
  engines.push(e);
  return e;
}

async function until(what: string, check: () => boolean, timeoutMs = 3000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('probes in the engine', () => {
  it('probes url-test groups from start to stop, and leaves plain round-robin groups alone', async () => {
    const e = engine();
    expect(e.probes.health('a')?.latest).toBeUndefined(); // nothing before start
    await e.start();
    await until('first round', () => e.probes.health('a')?.alive === true && e.probes.health('b')?.alive === true);
    expect(a.destinations.every((d) => d === `127.0.0.1:${target.port}`)).toBe(true);
    expect(e.pools.get('auto')!.snapshot().now).toBe('b'); // faster by 25 ms, tolerance 0
    // `plain` hears the results too (alive is per server), though it is never probed on its own
    expect(e.pools.get('plain')!.snapshot().members.every((m) => m.latencyMs !== null)).toBe(true);
    await e.stop();
    const after = a.accepted + b.accepted;
    await new Promise((r) => setTimeout(r, 1300));
    expect(a.accepted + b.accepted).toBe(after);
  });

  it('answers the ProbeService calls the controller makes', async () => {
    const e = engine();
    const results = await e.probes.testPool('auto', { timeoutMs: 1000 });
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    const one = await e.probes.testLatency('a', { url: target.url('/hello') });
    expect(one.latencyMs!).toBeGreaterThanOrEqual(24);
    const ping = await e.probes.testLatency('a', { mode: 'tcp' }); // server:port read from the proxies entry
    expect(ping).toMatchObject({ ok: true, mode: 'tcp' });
    expect(e.probes.history('a').length).toBe(3);
  });

  it('writes history to SQLite when given a store', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-engine-probes-'));
    store = openStore(dir);
    const e = engine({ probe: { history: new ProbeRepository(store.db) } });
    await e.probes.testPool('auto');
    const rows = store.db.prepare('SELECT server_id, kind, value IS NOT NULL AS ok FROM probe_samples ORDER BY server_id').all();
    expect(rows).toEqual([
      { server_id: 'a', kind: 'latency', ok: 1 },
      { server_id: 'b', kind: 'latency', ok: 1 },
    ]);
  });
});
