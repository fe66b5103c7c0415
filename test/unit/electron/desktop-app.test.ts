import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LiveStatsFrame } from '../../../core/api/live-stats.js';
import type { PoolSnapshot } from '../../../core/balance/pool.js';
import type { Mode } from '../../../core/config/types.js';
import type { ControllerAccess, SubscriptionAdded, SubscriptionRequest } from '../../../electron/api-client.js';
import { ControllerApiError } from '../../../electron/api-client.js';
import { dispatchDesktopCall } from '../../../electron/bridge-dispatch.js';
import { DesktopApp } from '../../../electron/desktop-app.js';
import type { CoreApi } from '../../../electron/desktop-ports.js';
import { SavedProxySettings } from '../../../electron/system-proxy/saved-settings.js';
import { SystemProxyService } from '../../../electron/system-proxy/system-proxy-service.js';
import type { ProxyEndpoint, SystemProxyBackend } from '../../../electron/system-proxy/types.js';
import { fakeSpawner } from './fake-core.js';
import { RecordingShell } from './recording-shell.js';
import { ManualTimers, settle, until } from './manual-timers.js';

interface DesktopSettings {
  mode: string;
  host: string;
  port: number;
}

/** The desktop's proxy settings in memory, changed only through the backend interface. */
class MemoryBackend implements SystemProxyBackend<DesktopSettings> {
  readonly name = 'memory';
  settings: DesktopSettings = { mode: 'auto', host: 'corp-proxy.example', port: 3128 };
  readonly calls: string[] = [];
  async read() {
    this.calls.push('read');
    return { ...this.settings };
  }
  async apply(endpoint: ProxyEndpoint) {
    this.calls.push(`apply ${endpoint.host}:${endpoint.port}`);
    this.settings = { mode: 'manual', host: endpoint.host, port: endpoint.port };
  }
  async restore(saved: DesktopSettings) {
    this.calls.push('restore');
    this.settings = { ...saved };
  }
}

const snapshot = (name: string, members: [string, boolean][], extra: Partial<PoolSnapshot> = {}): PoolSnapshot => ({
  name,
  type: 'load-balance',
  strategy: 'round-robin',
  now: members[0]?.[0] ?? null,
  members: members.map(([n, alive]) => ({ name: n, type: 'socks5', alive, ejectedUntil: null, activeConnections: 0, failures: 0, weight: 1, latencyMs: alive ? 50 : null, speedMbps: null })),
  backup: [],
  ...extra,
});

/** The controller as DesktopApp sees it: answers from fields the test sets, and records calls. */
class FakeApi implements CoreApi {
  pools_: PoolSnapshot[] = [snapshot('auto', [['jp1', true], ['jp2', true]]), snapshot('GLOBAL', [['auto', true]], { type: 'select', strategy: 'select' })];
  mode: Mode = 'rule';
  readonly calls: string[] = [];
  subscriptionError?: Error;
  frames?: (frame: LiveStatsFrame) => void;
  constructor(readonly access: ControllerAccess) {}
  async pools() {
    return structuredClone(this.pools_);
  }
  async configs() {
    return { mode: this.mode };
  }
  async setMode(mode: Mode) {
    this.calls.push(`mode ${mode}`);
    this.mode = mode;
  }
  async selectMember(pool: string, member: string) {
    this.calls.push(`select ${pool} ${member}`);
  }
  async setStrategy(pool: string, strategy: string) {
    this.calls.push(`strategy ${pool} ${strategy}`);
    // The core's answer for a group whose type fixes its strategy: the refusal must reach the user.
    throw new ControllerApiError(409, `pool ${pool} is a url-test group: its strategy follows from its type`);
  }
  async testPool(pool: string) {
    this.calls.push(`test ${pool}`);
    return {};
  }
  subscriptionResult: SubscriptionAdded['result'] = { ok: true, subscriptionId: '1', format: 'base64', servers: 3, added: 3, removed: 0, kept: 0, unsupported: [], issues: [] };
  async addSubscription(s: SubscriptionRequest): Promise<SubscriptionAdded> {
    this.calls.push(`subscribe ${s.url} ${s.name ?? ''}`);
    if (this.subscriptionError) throw this.subscriptionError;
    return { subscription: { id: '1', name: s.name ?? new URL(s.url).hostname }, result: this.subscriptionResult };
  }
  streamStats(onFrame: (frame: LiveStatsFrame) => void) {
    this.frames = onFrame;
    return () => {
      this.frames = undefined;
    };
  }
}

const frame = (up: number, down: number): LiveStatsFrame => ({ at: 0, total: { upRate: up, downRate: down, up: 0, down: 0, active: 0 }, servers: [], pools: [] });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-desktop-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function setup() {
  const timers = new ManualTimers();
  const shell = new RecordingShell();
  const spawner = fakeSpawner();
  const backend = new MemoryBackend();
  const saved = new SavedProxySettings(path.join(dir, 'system-proxy-saved.json'));
  const systemProxy = new SystemProxyService(backend, saved, ['localhost']);
  const apis: FakeApi[] = [];
  const app = new DesktopApp({
    shell,
    spawnCore: spawner.spawn,
    systemProxy,
    timers,
    api: (access) => {
      const api = new FakeApi(access);
      apis.push(api);
      return api;
    },
  });
  const api = () => apis[apis.length - 1]!;
  return { timers, shell, spawner, backend, saved, systemProxy, app, api, apis };
}

describe('DesktopApp', () => {
  it('starts the core, hands the window its address privately, and draws the tray from core state', async () => {
    const { app, shell, spawner, timers, api } = setup();
    await app.start();
    expect(shell.tray.tooltip).toBe('Switchyard: core starting…');
    spawner.last().ready({ port: 45678, secret: 's3cret' });
    await timers.advance(1000);
    expect(shell.controllers).toEqual([{ url: 'http://127.0.0.1:45678', token: 's3cret' }]);
    expect(api().access).toEqual({ url: 'http://127.0.0.1:45678', secret: 's3cret' });
    expect(shell.tray.icon).toBe('off');
    expect(shell.tray.menu.some((i) => i.type === 'submenu' && i.label === 'auto  — jp1')).toBe(true);
    expect(await dispatchDesktopCall(app.handlers(), 'getController', [])).toEqual({ result: { url: 'http://127.0.0.1:45678', token: 's3cret' } });
  });

  it('system proxy on: saves the user settings first, points the desktop at the mixed port, icon on', async () => {
    const { app, shell, spawner, timers, backend, saved } = setup();
    await app.start();
    spawner.last().ready({ mixedHost: '0.0.0.0', mixedPort: 7891 });
    await timers.advance(1000);
    const outcome = await dispatchDesktopCall(app.handlers(), 'setSystemProxy', [true]);
    expect(outcome).toEqual({ result: { enabled: true, backend: 'memory', endpoint: { host: '127.0.0.1', port: 7891 } } });
    expect(backend.calls).toEqual(['read', 'apply 127.0.0.1:7891']);
    expect((await saved.load())?.settings).toEqual({ mode: 'auto', host: 'corp-proxy.example', port: 3128 });
    await timers.advance(1000);
    expect(shell.tray.icon).toBe('on');
    expect(shell.states.at(-1)?.systemProxy.enabled).toBe(true);
  });

  it('core crash: the system proxy is restored at once, and set again when the core is back', async () => {
    const { app, shell, spawner, timers, backend, saved } = setup();
    await app.start();
    spawner.last().ready();
    await timers.advance(1000);
    await app.setSystemProxy(true);
    spawner.last().exit(134);
    await until(() => backend.calls.includes('restore'), 'the restore');
    expect(backend.settings).toEqual({ mode: 'auto', host: 'corp-proxy.example', port: 3128 });
    expect(await saved.load()).toBeUndefined();
    // Within the (throttled) second the tray has shown it; the 1 s backoff has then started a new core.
    const shown = shell.trays.length;
    await timers.advance(1000);
    expect(shell.trays.slice(shown)).toContainEqual(expect.objectContaining({ icon: 'off', tooltip: 'Switchyard: core restarting…' }));
    expect(spawner.cores).toHaveLength(2);
    spawner.last().ready({ port: 50001 });
    await until(() => backend.settings.mode === 'manual', 'the system proxy to be set again');
    expect(backend.calls).toEqual(['read', 'apply 127.0.0.1:7890', 'restore', 'read', 'apply 127.0.0.1:7890']);
    expect(shell.controllers.at(-1)?.url).toBe('http://127.0.0.1:50001');
  });

  it('repeated crashes: the user is told, the proxy stays restored, the tray offers a restart', async () => {
    const { app, shell, spawner, timers, backend } = setup();
    await app.start();
    spawner.last().ready();
    await timers.advance(1000);
    await app.setSystemProxy(true);
    for (let i = 0; i < 5; i++) {
      const before = spawner.cores.length;
      spawner.last().exit(1);
      // The restore reads and deletes a file (real I/O) before the backoff starts. Step the clock in small
      // moves with a real pause between, so a slow disk cannot push the crashes apart past the 2-minute window.
      for (let s = 0; s < 400 && spawner.cores.length === before && app.supervisor.status !== 'failed'; s++) {
        await timers.advance(250);
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    expect(app.supervisor.status).toBe('failed');
    // The tray is rebuilt at most once a second: let that second pass before reading its menu.
    await timers.advance(1000);
    expect(shell.notices.at(-1)).toEqual({
      title: 'Switchyard core keeps crashing',
      body: 'It stopped 5 times in a row (last: the core exited with code 1). Choose Restart core in the tray menu to try again.',
    });
    expect(backend.settings.mode).toBe('auto');
    const restart = shell.tray.menu.find((i) => i.type === 'normal' && i.label === 'Restart core');
    expect(restart).toMatchObject({ action: { kind: 'restart-core' } });
    await app.onTrayAction({ kind: 'restart-core' });
    expect(spawner.cores).toHaveLength(6);
  });

  it('a start after a crashed run puts the saved settings back and says so', async () => {
    const first = setup();
    await first.app.start();
    first.spawner.last().ready();
    await first.timers.advance(1000);
    await first.app.setSystemProxy(true);
    expect(first.backend.settings.mode).toBe('manual');
    // The process dies here without quit(): the file stays. The next run, same desktop:
    const second = setup();
    second.backend.settings = { ...first.backend.settings };
    await second.app.start();
    expect(second.backend.settings).toEqual({ mode: 'auto', host: 'corp-proxy.example', port: 3128 });
    expect(existsSync(path.join(dir, 'system-proxy-saved.json'))).toBe(false);
    expect(second.shell.notices[0]?.title).toBe('System proxy restored');
  });

  it('quit restores the system proxy, stops the core, then exits', async () => {
    const { app, shell, spawner, timers, backend } = setup();
    await app.start();
    spawner.last().ready();
    await timers.advance(1000);
    await app.setSystemProxy(true);
    await app.onTrayAction({ kind: 'quit' });
    expect(backend.settings.mode).toBe('auto');
    expect(spawner.last().received).toEqual([{ type: 'stop' }]);
    expect(shell.exited).toBe(true);
    await timers.advance(60_000);
    expect(spawner.cores).toHaveLength(1);
  });

  it('rebuilds the tray at most once a second however fast stats arrive, showing the latest rates', async () => {
    const { app, shell, spawner, timers, api } = setup();
    await app.start();
    spawner.last().ready();
    await timers.advance(1000);
    const before = shell.trays.length;
    for (let i = 1; i <= 100; i++) {
      api().frames!(frame(i * 1024, 0));
      await timers.advance(50);
    }
    const renders = shell.trays.length - before;
    expect(renders).toBeGreaterThanOrEqual(4);
    expect(renders).toBeLessThanOrEqual(6);
    await timers.advance(1000);
    expect(shell.tray.tooltip).toContain('↑ 100 KB/s');
  });

  it('a deep link at launch waits for the core, then imports the subscription', async () => {
    const { app, shell, spawner, timers, api } = setup();
    await app.start();
    const sub = 'https://provider.example/sub?token=abc';
    await app.openDeepLink(`clash://install-config?url=${encodeURIComponent(sub)}&name=Provider`);
    spawner.last().ready();
    await timers.advance(1000);
    expect(api().calls).toContain(`subscribe ${sub} Provider`);
    expect(shell.notices).toContainEqual({ title: 'Subscription added', body: 'Provider: 3 servers' });
  });

  it('a subscription whose first download failed is stored, and the user hears why', async () => {
    const { app, shell, spawner, timers, api } = setup();
    await app.start();
    spawner.last().ready();
    await timers.advance(1000);
    api().subscriptionResult = { ok: false, subscriptionId: '1', code: 'HTTP_STATUS', error: 'the server answered 403 Forbidden' };
    shell.clipboard = 'https://provider.example/sub?token=abc';
    expect(await dispatchDesktopCall(app.handlers(), 'importFromClipboard', [])).toEqual({
      result: { url: 'https://provider.example/sub?token=abc', name: 'provider.example', error: 'the server answered 403 Forbidden' },
    });
    expect(shell.notices.at(-1)).toEqual({ title: 'Subscription added, but its download failed', body: 'provider.example: the server answered 403 Forbidden' });
  });

  it('subscription errors become notifications without the token-bearing URL', async () => {
    const { app, shell, spawner, timers, api } = setup();
    await app.start();
    spawner.last().ready();
    await timers.advance(1000);
    api().subscriptionError = new ControllerApiError(502, 'POST /switchyard/subscriptions: 502 fetch failed: HTTP 403');
    shell.clipboard = 'https://provider.example/sub?token=abc';
    const outcome = await dispatchDesktopCall(app.handlers(), 'importFromClipboard', []);
    expect(outcome).toEqual({ error: { code: 'CORE_API', message: 'POST /switchyard/subscriptions: 502 fetch failed: HTTP 403' } });
    expect(shell.notices.at(-1)).toEqual({ title: 'Subscription not imported', body: 'https://provider.example/…: POST /switchyard/subscriptions: 502 fetch failed: HTTP 403' });
    await app.openDeepLink('clash://install-config?url=ftp%3A%2F%2Fx');
    expect(shell.notices.at(-1)).toEqual({ title: 'Subscription not imported', body: 'deep link: the url parameter is not an http(s) URL' });
    expect(JSON.stringify(shell.notices)).not.toContain('token=abc');
  });

  it('tells the user of a failover, once per minute per pool', async () => {
    const { app, shell, spawner, timers, api } = setup();
    await app.start();
    spawner.last().ready();
    const fallback = (now: string, jp1Alive: boolean) => snapshot('safe', [['jp1', jp1Alive], ['jp2', true]], { type: 'fallback', strategy: 'failover', now });
    api().pools_ = [fallback('jp1', true)];
    await timers.advance(2000);
    api().pools_ = [fallback('jp2', false)];
    await timers.advance(2000);
    expect(shell.notices).toContainEqual({ title: 'safe: failover to jp2', body: 'jp1 is down; safe now uses jp2.' });
    // Flapping back and forth within the minute: no second notice.
    api().pools_ = [fallback('jp1', true)];
    await timers.advance(2000);
    api().pools_ = [fallback('jp2', false)];
    await timers.advance(2000);
    expect(shell.notices.filter((n) => n.title.startsWith('safe: failover'))).toHaveLength(1);
  });

  it('tray actions reach the controller: mode, member, test all; failures are notified', async () => {
    const { app, shell, spawner, timers, api } = setup();
    await app.start();
    spawner.last().ready();
    await timers.advance(1000);
    await app.onTrayAction({ kind: 'set-mode', mode: 'global' });
    await app.onTrayAction({ kind: 'select-member', pool: 'GLOBAL', member: 'auto' });
    await app.onTrayAction({ kind: 'test-all' });
    await app.onTrayAction({ kind: 'set-strategy', pool: 'auto', strategy: 'random' });
    expect(api().calls).toEqual(['mode global', 'select GLOBAL auto', 'test auto', 'strategy auto random']);
    expect(app.trayInput.mode).toBe('global');
    expect(shell.notices.at(-1)).toEqual({ title: 'Switchyard', body: 'pool auto is a url-test group: its strategy follows from its type' });
    await app.onTrayAction({ kind: 'open-window' });
    expect(shell.windowShown).toBe(1);
  });

  it('bridge calls are checked: wrong arguments and calls before the core runs answer an error outcome', async () => {
    const { app } = setup();
    await app.start();
    expect(await dispatchDesktopCall(app.handlers(), 'setSystemProxy', ['yes'])).toEqual({ error: { code: 'FORBIDDEN', message: 'setSystemProxy: wrong arguments' } });
    expect(await dispatchDesktopCall(app.handlers(), 'openDevTools', [])).toEqual({ error: { code: 'FORBIDDEN', message: 'unknown desktop action "openDevTools"' } });
    expect(await dispatchDesktopCall(app.handlers(), 'getController', [])).toEqual({ error: { code: 'CORE_UNAVAILABLE', message: 'the core is starting' } });
    const on = await dispatchDesktopCall(app.handlers(), 'setSystemProxy', [true]);
    expect(on).toMatchObject({ error: { code: 'CORE_UNAVAILABLE' } });
    expect(await dispatchDesktopCall(app.handlers(), 'setAutostart', [true])).toEqual({ result: true });
    await settle();
    expect((await dispatchDesktopCall(app.handlers(), 'getState', [])) as unknown).toEqual({
      result: { systemProxy: { enabled: false, backend: 'memory', endpoint: null }, autostart: true, core: 'starting' },
    });
  });
});
