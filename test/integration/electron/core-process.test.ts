import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveStatsFrame } from '../../../core/api/live-stats.js';
import { ControllerApiError, ControllerClient } from '../../../electron/api-client.js';
import type { CoreInfo, CoreToMain } from '../../../electron/core-messages.js';
import { CoreSupervisor } from '../../../electron/core-supervisor.js';
import { DesktopApp } from '../../../electron/desktop-app.js';
import { SavedProxySettings } from '../../../electron/system-proxy/saved-settings.js';
import { SystemProxyService } from '../../../electron/system-proxy/system-proxy-service.js';
import { RecordingShell } from '../../unit/electron/recording-shell.js';
import { curl } from '../../helpers/clients.js';
import { startControlledSocks5, type ControlledSocks5 } from '../../helpers/controlled-socks5.js';
import { startHttpTarget, type HttpTarget } from '../../helpers/http-target.js';
import { freePort } from '../../helpers/ports.js';
import { startMicrosocks, type ReferenceServer } from '../../helpers/reference-servers.js';
import { forkCore } from './node-core.js';

/*
 * electron/core-process.ts for real: the entry main starts in a utility process, here forked by Node, with
 * a profile whose pool has a live upstream (microsocks) and a dead one (a SOCKS5 server that drops every
 * connection). Main's controller client and the supervisor run against it.
 */

let dir: string;
let profile: string;
let mixedPort: number;
let up: ReferenceServer;
let down: ControlledSocks5;
let target: HttpTarget;
let subscriptions: { url(path: string): string; close(): Promise<void> };

/** A provider's subscription endpoint: Clash YAML with two servers, for the right token only. */
async function startSubscriptionServer(): Promise<typeof subscriptions> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/sub?token=abc') return void res.writeHead(403).end('forbidden');
    res.writeHead(200, { 'content-type': 'text/yaml' }).end(
      'proxies:\n  - { name: sub-a, type: socks5, server: 127.0.0.1, port: 1081 }\n  - { name: sub-b, type: socks5, server: 127.0.0.1, port: 1082 }\n',
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return { url: (p) => `http://127.0.0.1:${port}${p}`, close: () => new Promise((r) => server.close(() => r())) };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-core-process-'));
  [up, down, target, mixedPort, subscriptions] = await Promise.all([startMicrosocks(), startControlledSocks5({ drop: true }), startHttpTarget(), freePort(), startSubscriptionServer()]);
  profile = path.join(dir, 'profile.yaml');
  writeFileSync(
    profile,
    [
      `mixed-port: ${mixedPort}`,
      // The app's controller is its own (127.0.0.1, a free port, a fresh secret), whatever the profile says.
      'external-controller: 127.0.0.1:1',
      'secret: from-the-profile',
      'proxies:',
      `  - { name: up, type: socks5, server: 127.0.0.1, port: ${up.port} }`,
      `  - { name: down, type: socks5, server: 127.0.0.1, port: ${down.port} }`,
      'proxy-groups:',
      `  - { name: auto, type: load-balance, strategy: round-robin, proxies: [up, down], url: "${target.url('/hello')}", timeout: 3000 }`,
      'rules:',
      '  - MATCH,auto',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await Promise.all([up?.stop(), down?.close(), target?.close(), subscriptions?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

function nextMessage(core: ReturnType<typeof forkCore>, timeoutMs = 30_000): Promise<CoreToMain> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message from the core in ${timeoutMs} ms:\n${core.output()}`)), timeoutMs);
    core.child.once('message', (m) => {
      clearTimeout(timer);
      resolve(m as CoreToMain);
    });
  });
}

const exitCode = (core: ReturnType<typeof forkCore>) =>
  new Promise<number | null>((resolve) => (core.child.exitCode !== null ? resolve(core.child.exitCode) : core.child.once('exit', (code) => resolve(code))));

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

describe('core process', () => {
  it('reports its private controller, serves the tray calls, and stops with exit 0 when asked', async () => {
    const core = forkCore(profile);
    const ready = await nextMessage(core);
    expect(ready).toMatchObject({ type: 'ready', mixedHost: '127.0.0.1', mixedPort, profile });
    const info = ready as Extract<CoreToMain, { type: 'ready' }>;
    expect(info.port).not.toBe(1);
    expect(info.secret).toMatch(/^[\w-]{32}$/);
    expect(info.secret).not.toBe('from-the-profile');

    const url = `http://127.0.0.1:${info.port}`;
    expect((await fetch(`${url}/configs`)).status).toBe(401);
    const client = new ControllerClient({ url, secret: info.secret });

    const pools = await client.pools();
    expect(pools.find((p) => p.name === 'auto')).toMatchObject({ type: 'load-balance', strategy: 'round-robin', members: [{ name: 'up' }, { name: 'down' }] });
    expect(await client.configs()).toEqual({ mode: 'rule', mixedPort });

    // Real traffic through the mixed port, then the latency round the tray's "test all" runs.
    const res = await curl(['-sS', '--max-time', '10', '-x', `socks5h://127.0.0.1:${mixedPort}`, target.url('/hello')]);
    expect(res.code).toBe(0);
    const delays = await client.testPool('auto');
    expect(Object.keys(delays)).toEqual(['up']);
    expect(delays.up).toBeGreaterThan(0);

    const frames: LiveStatsFrame[] = [];
    const closed: string[] = [];
    const stop = client.streamStats((f) => frames.push(f), (why) => closed.push(why));
    for (let i = 0; i < 100 && frames.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    stop();
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(frames[0]!.pools.map((p) => p.name)).toContain('auto');
    expect(closed).toEqual([]);

    await client.setMode('direct');
    expect((await client.configs()).mode).toBe('direct');
    await client.selectMember('GLOBAL', 'up');
    await client.setStrategy('auto', 'random');
    expect((await client.pools()).find((p) => p.name === 'auto')?.strategy).toBe('random');
    await expect(client.setStrategy('auto', 'fastest-please')).rejects.toMatchObject({ code: 'CORE_API', status: 400 });
    // Without a data folder the core keeps no subscriptions, and says so.
    const refused = await client.addSubscription({ url: subscriptions.url('/sub?token=abc') }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ControllerApiError);
    expect(refused).toMatchObject({ code: 'CORE_API', status: 503 });

    core.handle.postMessage({ type: 'stop' });
    expect(await exitCode(core)).toBe(0);
    expect(await listening(info.port)).toBe(false);
    expect(await listening(mixedPort)).toBe(false);
  });

  it('a profile that does not load is reported as fatal and not worth retrying', async () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'mixed-port: 70000\nrules:\n  - MATCH,nowhere\n');
    const core = forkCore(bad);
    const message = await nextMessage(core);
    expect(message).toMatchObject({ type: 'fatal', retryable: false, message: expect.stringContaining('mixed-port') });
    expect(await exitCode(core)).toBe(2);
  });

  it('under the supervisor, a killed core is restarted on a new port with a new secret', async () => {
    const readies: CoreInfo[] = [];
    const downs: string[] = [];
    const cores: ReturnType<typeof forkCore>[] = [];
    const supervisor = new CoreSupervisor(
      () => {
        const core = forkCore(profile);
        cores.push(core);
        return core.handle;
      },
      { status: () => {}, ready: (info) => readies.push(info), down: (why) => void downs.push(why), gaveUp: () => {} },
      { policy: { baseDelayMs: 200 } },
    );
    supervisor.start();
    const waitFor = async (check: () => boolean, what: string) => {
      for (let i = 0; i < 600 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
      if (!check()) throw new Error(`timed out waiting for ${what}: ${cores.map((c) => c.output()).join('\n')}`);
    };
    await waitFor(() => readies.length === 1, 'the first ready');
    const first = readies[0]!;
    cores[0]!.child.kill('SIGKILL');
    await waitFor(() => readies.length === 2, 'the restarted core');
    const second = readies[1]!;
    expect(downs).toEqual(['the core exited with a signal']);
    expect(second.port).not.toBe(first.port);
    expect(second.secret).not.toBe(first.secret);
    expect(await listening(first.port)).toBe(false);
    expect(await new ControllerClient({ url: `http://127.0.0.1:${second.port}`, secret: second.secret }).configs()).toMatchObject({ mode: 'rule' });
    await supervisor.stop();
    expect(cores[1]!.child.exitCode).toBe(0);
    expect(supervisor.status).toBe('stopped');
  });

  it('with a data folder: a deep link and the clipboard import subscriptions into the running core', async () => {
    const dataDir = path.join(dir, 'data');
    const shell = new RecordingShell();
    const cores: ReturnType<typeof forkCore>[] = [];
    const desktop = new DesktopApp({
      shell,
      spawnCore: () => {
        const core = forkCore(profile, dataDir);
        cores.push(core);
        return core.handle;
      },
      // No system proxy is touched in this test.
      systemProxy: new SystemProxyService(undefined, new SavedProxySettings(path.join(dir, 'unused.json')), []),
      api: (access) => new ControllerClient(access),
    });
    await desktop.start();
    // Arrives while the core is still starting: imported once it is ready.
    await desktop.openDeepLink(`switchyard://install-config?url=${encodeURIComponent(subscriptions.url('/sub?token=abc'))}&name=Provider`);
    const waitFor = async (check: () => boolean, what: string) => {
      for (let i = 0; i < 600 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
      if (!check()) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(shell.notices)}\n${cores.map((c) => c.output()).join('\n')}`);
    };
    await waitFor(() => shell.notices.some((n) => n.title.startsWith('Subscription')), 'the import notice');
    expect(shell.notices).toContainEqual({ title: 'Subscription added', body: 'Provider: 2 servers' });

    shell.clipboard = subscriptions.url('/sub?token=wrong');
    const result = await desktop.importFromClipboard();
    expect(result).toMatchObject({ name: '127.0.0.1', error: expect.stringContaining('403') });
    expect(shell.notices.at(-1)?.title).toBe('Subscription added, but its download failed');
    expect(JSON.stringify(shell.notices)).not.toContain('token=');

    const { url, token } = desktop.controller();
    const stored = (await (await fetch(`${url}/switchyard/subscriptions`, { headers: { authorization: `Bearer ${token}` } })).json()) as { subscriptions: { name: string; servers: number }[] };
    expect(stored.subscriptions.map((s) => [s.name, s.servers])).toEqual([
      ['Provider', 2],
      ['127.0.0.1', 0],
    ]);
    await desktop.quit();
    expect(shell.exited).toBe(true);
    expect(cores[0]!.child.exitCode).toBe(0);
  });
});
