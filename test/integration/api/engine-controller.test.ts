import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/ports.js';
import { exitWithin, startDownload, startTrickleTarget, type TrickleTarget } from '../../helpers/trickle-download.js';
import { startMicrosocks, type ReferenceServer } from '../../helpers/reference-servers.js';
import { eventually, openStream, request, startApi, type ApiHarness, type StreamClient } from '../../unit/api/harness.js';

const HK = 'socks 香港';

describe('controller on a running engine (curl → mixed → pool → microsocks → HTTP target)', () => {
  let trickle: TrickleTarget;
  let socks: ReferenceServer;
  let h: ApiHarness;

  beforeAll(async () => {
    trickle = await startTrickleTarget();
    socks = await startMicrosocks();
    h = await startApi(`mixed-port: 7890
external-controller: 127.0.0.1:9090
secret: integration-secret
proxies:
  - { name: "${HK}", type: socks5, server: 127.0.0.1, port: ${socks.port} }
proxy-groups:
  - { name: auto, type: load-balance, strategy: round-robin, proxies: ["${HK}"] }
rules:
  - IP-CIDR,127.0.0.0/8,auto
  - MATCH,DIRECT
`);
  });

  afterAll(async () => {
    await h?.close();
    await socks?.stop();
    await trickle?.close();
  });

  it('shows the download with its chain and rule, counts it in /traffic, ends it on DELETE, then /traffic reads zero', async () => {
    const traffic: StreamClient = await openStream(`ws://127.0.0.1:${h.address.port}/traffic?token=${h.secret}`);
    const download = startDownload(h.mixedPort, trickle.url);
    try {
      let id = '';
      await eventually(async () => {
        const { connections } = (await h.call('GET', '/connections')).json;
        if (connections.length !== 1 || connections[0].download === 0) return false;
        const c = connections[0];
        expect(c.chains).toEqual([HK, 'auto']);
        expect(c).toMatchObject({ rule: 'IP-CIDR', rulePayload: '127.0.0.0/8' });
        expect(c.metadata).toMatchObject({ type: 'Socks5', destinationIP: '127.0.0.1', destinationPort: new URL(trickle.url).port, network: 'tcp' });
        id = c.id;
        return true;
      }, 'the download to show in /connections', 10_000);

      // Two frames in a row with bytes coming down: the download is flowing.
      await eventually(() => traffic.frames.slice(-2).filter((f) => f.data.down > 0).length === 2, 'non-zero down in /traffic frames', 6000);

      const stats = await openStream(`ws://127.0.0.1:${h.address.port}/switchyard/stats?token=${h.secret}`);
      await stats.waitFrames(1);
      const frame = stats.frames[0]!.data;
      expect(frame.servers.find((s: { name: string }) => s.name === HK)).toMatchObject({ active: 1, down: expect.any(Number) });
      expect(frame.servers.find((s: { name: string }) => s.name === HK).down).toBeGreaterThan(0);
      expect(frame.pools.find((p: { name: string }) => p.name === 'auto')).toMatchObject({ active: 1, strategy: 'round-robin' });
      await stats.close();

      expect(await exitWithin(download.exited, 0)).toBe('running');
      const closed = await h.call('DELETE', `/connections/${encodeURIComponent(id)}`);
      expect(closed.status).toBe(204);
      const code = await exitWithin(download.exited, 5000);
      expect(code).not.toBe('running');
      expect(code).not.toBe(0); // curl saw the transfer cut short
      expect((await h.call('GET', '/connections')).json.connections).toEqual([]);

      // Once nothing flows, the per-second rate drops to zero and stays there.
      const from = traffic.frames.length;
      await eventually(() => traffic.frames.slice(from).filter((f) => f.data.down === 0).length >= 2, 'zero down in /traffic frames after the close', 6000);
      expect(traffic.frames.at(-1)!.data).toEqual({ up: 0, down: 0 });
    } finally {
      download.child.kill();
      await traffic.close();
    }
  });

  it('DELETE /connections ends every download at once', async () => {
    const downloads = [startDownload(h.mixedPort, trickle.url), startDownload(h.mixedPort, trickle.url)];
    try {
      await eventually(() => h.engine.tracker.size === 2, 'both downloads to be tracked', 10_000);
      expect((await h.call('DELETE', '/connections')).status).toBe(204);
      for (const d of downloads) expect(await exitWithin(d.exited, 5000)).not.toBe('running');
      expect(h.engine.tracker.size).toBe(0);
    } finally {
      for (const d of downloads) d.child.kill();
    }
  });

  it('PUT on the pool is refused (not a select group) and the mode switch to direct takes the pool out of the chain', async () => {
    expect((await h.call('PUT', '/proxies/auto', { body: { name: HK } })).status).toBe(400);
    expect((await h.call('PATCH', '/configs', { body: { mode: 'direct' } })).status).toBe(204);
    const download = startDownload(h.mixedPort, trickle.url);
    try {
      await eventually(async () => (await h.call('GET', '/connections')).json.connections.length === 1, 'the direct download to show', 10_000);
      const c = (await h.call('GET', '/connections')).json.connections[0];
      expect(c.chains).toEqual(['DIRECT']);
      expect(c.rule).toBe('Direct');
    } finally {
      download.child.kill();
      await h.call('PATCH', '/configs', { body: { mode: 'rule' } });
    }
    await eventually(() => h.engine.tracker.size === 0, 'the killed download to close');
  });
});

describe('switchyard run with external-controller', () => {
  let dir: string;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'switchyard-cli-api-'));
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the controller and UI URLs with a generated token; the token opens the API and /logs', async () => {
    const [mixedPort, controllerPort] = [await freePort(), await freePort()];
    const profile = path.join(dir, 'profile.yaml');
    await writeFile(profile, `mixed-port: ${mixedPort}\nexternal-controller: 127.0.0.1:${controllerPort}\nproxies: []\nrules:\n  - MATCH,DIRECT\n`);
    const bin = path.resolve(import.meta.dirname, '../../../bin/switchyard.mjs');
    child = spawn(process.execPath, [bin, 'run', '-c', profile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    await eventually(() => /^ui: .*\n/m.test(out), `the ui line (stdout: ${out} stderr: ${err})`, 20_000);

    const controllerLine = /^controller: (\S+) \(Bearer secret generated for this run\)$/m.exec(out);
    expect(controllerLine?.[1]).toBe(`http://127.0.0.1:${controllerPort}`);
    const uiLine = /^ui: http:\/\/127\.0\.0\.1:(\d+)\/ui\/#\/\?token=([A-Za-z0-9_-]{32})$/m.exec(out);
    expect(uiLine?.[1]).toBe(String(controllerPort));
    const token = uiLine![2]!;

    expect((await request(controllerPort, 'GET', '/version', {}, token)).status).toBe(200);
    expect((await request(controllerPort, 'GET', '/version', {})).status).toBe(401);

    const logs = await openStream(`ws://127.0.0.1:${controllerPort}/logs?token=${token}&level=info`);
    expect((await request(controllerPort, 'PATCH', '/configs', { body: { mode: 'global' } }, token)).status).toBe(204);
    await logs.waitFrames(1);
    expect(logs.frames[0]!.data).toEqual({ type: 'info', payload: 'mode changed by the controller mode=global' });
    await logs.close();
    // The same line also went to stderr, and the secret went to neither log stream.
    await eventually(() => err.includes('mode changed by the controller'), 'the log line on stderr');
    expect(err).not.toContain(token);
  });
});
