import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpTarget, type HttpTarget } from '../../helpers/http-target.js';
import { curl } from '../../helpers/clients.js';
import { freePort } from '../../helpers/ports.js';

const BIN = path.resolve(__dirname, '../../../bin/switchyard.mjs');
let dir: string;
let target: HttpTarget;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-cli-'));
  target = await startHttpTarget();
});
afterAll(async () => {
  await target.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function runCli(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('switchyard run', () => {
  it('prints its port, serves, and on SIGTERM ends open connections and exits 0', async () => {
    const port = await freePort();
    const file = path.join(dir, 'direct.yaml');
    fs.writeFileSync(file, `mixed-port: ${port}\nlog-level: debug\nrules:\n  - MATCH,DIRECT\n`);
    const cli = runCli(['run', '-c', file]);
    await waitFor(() => cli.out().includes('mixed: listening on'), 'the listening line');
    expect(cli.out()).toContain(`mixed: listening on 127.0.0.1:${port}`);

    const ok = await curl(['--socks5-hostname', `127.0.0.1:${port}`, target.url('/hello')]);
    expect(ok.code).toBe(0);
    // Each connection is logged at debug level, without credentials.
    await waitFor(() => cli.err().includes('connection opened'), 'the debug log line');

    // A slow request stays open through the proxy until the shutdown ends it.
    const open = net.connect(port, '127.0.0.1');
    await new Promise((r) => open.once('connect', r));
    const closed = new Promise<void>((resolve) => open.once('close', () => resolve()));
    open.on('error', () => {});
    open.write(`GET ${target.url('/slow/20000')} HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 200));

    const started = Date.now();
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    await closed;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(cli.out()).toContain('stopped');
    // The port is free again.
    await new Promise<void>((resolve, reject) => {
      const s = net.createServer().once('error', reject);
      s.listen(port, '127.0.0.1', () => s.close(() => resolve()));
    });
  });

  it('refuses a broken profile with every problem named and exit code 2', async () => {
    const file = path.join(dir, 'broken.yaml');
    fs.writeFileSync(file, 'mixed-port: abc\nproxies:\n  - { name: a, type: socks5, server: 127.0.0.1, port: 70000, password: hunter2 }\nrules:\n  - MATCH,nowhere\n');
    const cli = runCli(['run', '-c', file]);
    expect(await cli.exited).toBe(2);
    expect(cli.err()).toBe(
      [
        'profile error:',
        '  mixed-port: expected an integer 1-65535, got "abc" (line 1)',
        '  proxies[0].port: expected an integer 1-65535, got 70000 (line 3)',
        '  rules[0]: expected a target that is the name of a proxy, a group, DIRECT or REJECT, got "nowhere" (line 5)',
        '',
      ].join('\n'),
    );
    expect(cli.err()).not.toContain('hunter2');
  });

  it('says which port is taken when it cannot listen', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    const file = path.join(dir, 'busy.yaml');
    fs.writeFileSync(file, `mixed-port: ${port}\nrules:\n  - MATCH,DIRECT\n`);
    const cli = runCli(['run', '-c', file]);
    expect(await cli.exited).toBe(3);
    expect(cli.err()).toContain(`127.0.0.1:${port}`);
    blocker.close();
  });

  it('keeps the per-app tracking choice in the data directory across restarts', async () => {
    const [mixed, api] = [await freePort(), await freePort()];
    const file = path.join(dir, 'apps.yaml');
    const dataDir = path.join(dir, 'apps-data');
    fs.writeFileSync(file, `mixed-port: ${mixed}\nexternal-controller: 127.0.0.1:${api}\nsecret: t0ken\nrules:\n  - MATCH,DIRECT\n`);
    const call = (method: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${api}/switchyard/apps`, {
        method,
        headers: { authorization: 'Bearer t0ken', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    for (const [turnOn, expectBefore] of [[true, false], [false, true]] as const) {
      const cli = runCli(['run', '-c', file, '--data-dir', dataDir]);
      await waitFor(() => cli.out().includes('controller:'), 'the controller line');
      expect(((await (await call('GET')).json()) as { tracking: boolean }).tracking).toBe(expectBefore);
      expect((await call('PATCH', { tracking: turnOn })).status).toBe(204);
      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
    }
  });
});
