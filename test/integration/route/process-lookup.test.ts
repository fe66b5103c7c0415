import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../core/engine.js';
import { loadProfile } from '../../../core/config/load.js';
import { createProtocolRegistry } from '../../../core/protocol/index.js';
import { startHttpTarget, type HttpTarget } from '../../helpers/http-target.js';
import { eventually } from '../../unit/api/harness.js';

/**
 * Process lookup under load: 200 connections open at once from three client processes (two node
 * scripts speaking raw SOCKS5, one curl running 50 transfers in parallel), every one attributed to the
 * process that opened it. A PROCESS-NAME rule ahead of MATCH makes every connection need its process.
 */
const HOLDER = `
const net = require('node:net');
const [proxy, target, count] = [Number(process.env.PROXY_PORT), Number(process.env.TARGET_PORT), Number(process.env.COUNT)];
const ports = [];
let ready = 0;
for (let i = 0; i < count; i++) {
  const s = net.connect(proxy, '127.0.0.1');
  let stage = 0;
  s.on('connect', () => { ports.push(s.localPort); s.write(Buffer.from([5, 1, 0])); });
  s.on('data', () => {
    if (stage === 0) s.write(Buffer.from([5, 1, 0, 1, 127, 0, 0, 1, target >> 8, target & 255]));
    else if (stage === 1) {
      s.write('GET /slow/6000 HTTP/1.1\\r\\nHost: t\\r\\nConnection: close\\r\\n\\r\\n');
      if (++ready === count) console.log(JSON.stringify({ pid: process.pid, ports }));
    }
    stage++;
  });
  s.on('error', (e) => { console.error(e.message); process.exit(1); });
}
setTimeout(() => process.exit(0), 15000);
`;

let target: HttpTarget;
let engine: Engine;
let mixed: number;
const children: ChildProcess[] = [];

beforeAll(async () => {
  target = await startHttpTarget();
  const { profile } = loadProfile('rules:\n  - PROCESS-NAME,no-such-program,REJECT\n  - MATCH,DIRECT\n', createProtocolRegistry());
  engine = new Engine(profile, { mixedPort: 0 });
  mixed = (await engine.start()).mixed.port;
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await engine?.stop();
  await target?.close();
});

function holder(count: number): Promise<{ pid: number; ports: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', HOLDER], {
      env: { ...process.env, PROXY_PORT: String(mixed), TARGET_PORT: String(target.port), COUNT: String(count) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(JSON.parse(out));
    });
    child.once('exit', (code) => reject(new Error(`holder exited ${code} before its connections were up`)));
  });
}

describe('process lookup under load', () => {
  it('attributes 200 concurrent connections from 3 processes to the right pid', async () => {
    const curl = spawn('curl', ['-sS', '--parallel', '--parallel-max', '50', '--parallel-immediate', '--socks5', `127.0.0.1:${mixed}`, '-o', '/dev/null', ...Array.from({ length: 50 }, (_, i) => `${target.url('/slow/6000')}?n=${i}`)], {
      stdio: 'ignore',
    });
    children.push(curl);
    const [a, b] = await Promise.all([holder(75), holder(75)]);
    await eventually(() => engine.tracker.size === 200, `200 tracked connections (have ${engine.tracker.size})`, 20_000);
    const expected = new Map<number, number>();
    for (const h of [a, b]) for (const port of h.ports) expected.set(port, h.pid);
    const byPid = new Map<number, number>();
    for (const c of engine.tracker.list()) {
      const want = expected.get(c.meta.source.port) ?? curl.pid;
      expect(c.meta.process?.pid, `connection from port ${c.meta.source.port}`).toBe(want);
      expect(c.meta.process?.name).toBe(want === curl.pid ? 'curl' : 'node');
      expect(c.meta.rule).toBe('MATCH');
      byPid.set(want!, (byPid.get(want!) ?? 0) + 1);
    }
    expect(Object.fromEntries(byPid)).toEqual({ [a.pid]: 75, [b.pid]: 75, [curl.pid!]: 50 });
    // The API's connection list shows the process too.
    const shown = engine.tracker.snapshot();
    expect(shown.filter((c) => c.process === 'curl')).toHaveLength(50);
    expect(shown.filter((c) => c.process === 'node')).toHaveLength(150);
  });
});
