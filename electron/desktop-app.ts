import type { PoolSnapshot } from '../core/balance/pool.js';
import type { ControllerAccess, SubscriptionAdded } from './api-client.js';
import type { ControllerInfo, DesktopState, ImportResult, SystemProxyStatus } from './contract.js';
import type { CoreInfo } from './core-messages.js';
import { CoreSupervisor, type SpawnCore, type SupervisorOptions } from './core-supervisor.js';
import { describeUrl, importTargetFromText, parseDeepLink, type InstallConfigLink } from './deep-link.js';
import { DesktopError, describeError } from './errors.js';
import { NoticeLimiter, poolNotices } from './pool-notices.js';
import type { SystemProxyService } from './system-proxy/system-proxy-service.js';
import { systemTimers, throttle, type Throttled, type Timers } from './throttle.js';
import type { CoreApi, DesktopHandlers, DesktopShell } from './desktop-ports.js';
import { buildTrayMenu, poolsToTest, trayIconState, trayTooltip, type TrayAction, type TrayInput, type TrayPool } from './tray-menu.js';

export interface DesktopAppOptions {
  shell: DesktopShell;
  spawnCore: SpawnCore;
  systemProxy: SystemProxyService;
  api: (access: ControllerAccess) => CoreApi;
  timers?: Timers;
  supervisor?: Omit<SupervisorOptions, 'timers'>;
  /** Pools and mode are read this often (the stats stream brings rates every second). Default 2 s. */
  pollIntervalMs?: number;
  /** Tray menu and tooltip are rebuilt at most this often. Default 1 s. */
  renderIntervalMs?: number;
  maxMembers?: number;
}

/**
 * The desktop app's behaviour, with Electron kept behind DesktopShell and the core behind SpawnCore:
 * supervision, system proxy, tray state, deep links, notifications.
 */
export class DesktopApp {
  readonly supervisor: CoreSupervisor;
  private readonly shell: DesktopShell;
  private readonly timers: Timers;
  private readonly render: Throttled;
  private readonly notices: NoticeLimiter;
  private readonly input: TrayInput;
  private api?: CoreApi;
  private core?: CoreInfo;
  private stopStats?: () => void;
  private pollTimer?: unknown;
  private latencyByServer = new Map<string, number | null>();
  /** The user wants the system proxy on: kept through core restarts, which turn it off meanwhile. */
  private wantSystemProxy = false;
  private pendingImports: InstallConfigLink[] = [];
  private quitting?: Promise<void>;

  constructor(private readonly options: DesktopAppOptions) {
    this.shell = options.shell;
    this.timers = options.timers ?? systemTimers;
    this.notices = new NoticeLimiter(60_000, () => this.timers.now());
    this.input = { core: 'stopped', systemProxy: { enabled: false, available: options.systemProxy.available }, mode: null, pools: [], rates: null, testing: false };
    this.render = throttle(() => this.renderNow(), options.renderIntervalMs ?? 1000, this.timers);
    this.supervisor = new CoreSupervisor(
      options.spawnCore,
      {
        status: (status) => {
          this.input.core = status;
          this.changed();
        },
        ready: (info) => void this.onCoreReady(info),
        down: () => this.onCoreDown(),
        gaveUp: (crashes, why) =>
          this.shell.notify('Switchyard core keeps crashing', `It stopped ${crashes} times in a row (last: ${why}). Choose Restart core in the tray menu to try again.`),
      },
      { ...options.supervisor, timers: this.timers },
    );
  }

  /** Restores what a crashed run left, then starts the core. */
  async start(): Promise<void> {
    try {
      if (await this.options.systemProxy.recover()) {
        this.shell.notify('System proxy restored', 'Switchyard did not exit cleanly last time; your previous proxy settings are back.');
      }
    } catch (err) {
      this.shell.notify('System proxy not restored', describeError(err).message);
    }
    this.supervisor.start();
    this.renderNow();
  }

  get trayInput(): Readonly<TrayInput> {
    return this.input;
  }

  async state(): Promise<DesktopState> {
    return { systemProxy: this.options.systemProxy.status(), autostart: await this.shell.getAutostart(), core: this.supervisor.status };
  }

  controller(): ControllerInfo {
    const info = this.supervisor.info;
    if (!info) throw new DesktopError('CORE_UNAVAILABLE', `the core is ${this.supervisor.status}`);
    return controllerInfo(info);
  }

  handlers(): DesktopHandlers {
    return {
      getController: async () => this.controller(),
      getState: () => this.state(),
      setSystemProxy: (enabled) => this.setSystemProxy(enabled),
      setAutostart: async (enabled) => {
        await this.shell.setAutostart(enabled);
        this.changed();
        return this.shell.getAutostart();
      },
      importFromClipboard: () => this.importFromClipboard(),
      quit: async () => {
        void this.quit();
        return null;
      },
    };
  }

  async setSystemProxy(enabled: boolean): Promise<SystemProxyStatus> {
    this.wantSystemProxy = enabled;
    try {
      if (enabled) {
        const core = this.core;
        if (!core) throw new DesktopError('CORE_UNAVAILABLE', `the core is ${this.supervisor.status}; the system proxy goes on once it runs`);
        await this.options.systemProxy.enable({ host: connectHost(core.mixedHost), port: core.mixedPort });
      } else {
        await this.options.systemProxy.disable();
      }
    } catch (err) {
      this.wantSystemProxy = this.options.systemProxy.enabled;
      throw err;
    } finally {
      this.changed();
    }
    return this.options.systemProxy.status();
  }

  /** A `switchyard://` or `clash://` link from the OS; problems become notifications. */
  async openDeepLink(link: string): Promise<void> {
    let target: InstallConfigLink;
    try {
      target = parseDeepLink(link);
    } catch (err) {
      this.shell.notify('Subscription not imported', describeError(err).message);
      return;
    }
    if (!this.api) {
      this.pendingImports.push(target); // the core is starting; imported once it is ready
      return;
    }
    await this.importSubscription(target).catch(() => undefined);
  }

  async importFromClipboard(): Promise<ImportResult> {
    let target: InstallConfigLink;
    try {
      target = importTargetFromText(this.shell.readClipboard());
    } catch (err) {
      this.shell.notify('Nothing to import', describeError(err).message);
      throw err;
    }
    return this.importSubscription(target);
  }

  async onTrayAction(action: TrayAction): Promise<void> {
    try {
      switch (action.kind) {
        case 'toggle-system-proxy':
          await this.setSystemProxy(!this.options.systemProxy.enabled);
          return;
        case 'set-mode':
          await this.requireApi().setMode(action.mode);
          this.input.mode = action.mode;
          this.changed();
          return;
        case 'select-member':
          await this.requireApi().selectMember(action.pool, action.member);
          return await this.refresh();
        case 'set-strategy':
          await this.requireApi().setStrategy(action.pool, action.strategy);
          return await this.refresh();
        case 'test-all':
          return await this.testAll();
        case 'import-clipboard':
          await this.importFromClipboard();
          return;
        case 'open-window':
          return this.shell.showWindow();
        case 'restart-core':
          return this.supervisor.restartNow();
        case 'quit':
          return await this.quit();
      }
    } catch (err) {
      // Import failures have told the user already.
      if (action.kind !== 'import-clipboard') this.shell.notify('Switchyard', describeError(err).message);
    }
  }

  /** Puts the user's system proxy back and stops the core, then exits. Safe to call more than once. */
  quit(): Promise<void> {
    this.quitting ??= (async () => {
      this.render.cancel();
      this.disconnect();
      await this.options.systemProxy.disable().catch(() => undefined);
      await this.supervisor.stop();
      this.shell.exit();
    })();
    return this.quitting;
  }

  private async importSubscription(target: InstallConfigLink): Promise<ImportResult> {
    // Messages never repeat the URL: subscription URLs carry account tokens.
    const label = target.name ?? describeUrl(target.url);
    let added: SubscriptionAdded;
    try {
      added = await this.requireApi().addSubscription({ url: target.url, ...(target.name ? { name: target.name } : {}) });
    } catch (err) {
      this.shell.notify('Subscription not imported', `${label}: ${describeError(err).message}`);
      throw err;
    }
    const result = added.result;
    const name = added.subscription?.name ?? label;
    if (result && !result.ok) {
      // Stored all the same: the core tries again on its interval, and the window can refresh it.
      this.shell.notify('Subscription added, but its download failed', `${name}: ${result.error}`);
    } else {
      this.shell.notify('Subscription added', result ? `${name}: ${result.servers} server${result.servers === 1 ? '' : 's'}` : name);
    }
    void this.refresh();
    return { url: target.url, name, ...(result ? (result.ok ? { servers: result.servers } : { error: result.error }) : {}) };
  }

  private async testAll(): Promise<void> {
    const api = this.requireApi();
    this.input.testing = true;
    this.changed();
    try {
      await Promise.all(poolsToTest(this.input.pools).map((pool) => api.testPool(pool)));
    } finally {
      this.input.testing = false;
      await this.refresh();
    }
  }

  private async onCoreReady(info: CoreInfo): Promise<void> {
    this.core = info;
    this.api = this.options.api({ url: controllerInfo(info).url, secret: info.secret });
    this.shell.controllerChanged(controllerInfo(info));
    this.connectStats();
    this.poll();
    if (this.wantSystemProxy) {
      await this.setSystemProxy(true).catch((err) => this.shell.notify('System proxy not set', describeError(err).message));
    }
    const pending = this.pendingImports.splice(0);
    for (const target of pending) await this.importSubscription(target).catch(() => undefined);
  }

  /** The core is gone: nothing may point at its port any more. */
  private async onCoreDown(): Promise<void> {
    this.disconnect();
    this.input.rates = null;
    if (this.options.systemProxy.enabled) {
      try {
        await this.options.systemProxy.disable();
      } catch (err) {
        this.shell.notify('System proxy not restored', describeError(err).message);
      }
    }
    this.changed();
  }

  private disconnect(): void {
    this.core = undefined;
    this.api = undefined;
    this.stopStats?.();
    this.stopStats = undefined;
    if (this.pollTimer !== undefined) this.timers.clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  private connectStats(): void {
    const api = this.api!;
    this.stopStats = api.streamStats(
      (frame) => {
        this.input.rates = { up: frame.total.upRate, down: frame.total.downRate };
        this.latencyByServer = new Map(frame.servers.map((s) => [s.name, s.latencyMs]));
        this.render();
      },
      () => {
        // The stream dropped while the core still runs: try again shortly.
        this.timers.setTimeout(() => {
          if (this.api === api) this.connectStats();
        }, 2000);
      },
    );
  }

  private poll(): void {
    const api = this.api;
    void this.refresh().finally(() => {
      if (this.api !== api || !api) return;
      this.pollTimer = this.timers.setTimeout(() => this.poll(), this.options.pollIntervalMs ?? 2000);
    });
  }

  /** Reads pools and mode, tells the user about failovers, redraws. */
  private async refresh(): Promise<void> {
    const api = this.api;
    if (!api) return;
    try {
      const [pools, configs] = await Promise.all([api.pools(), api.configs()]);
      if (api !== this.api) return;
      const next = pools.map((p) => this.trayPool(p));
      for (const notice of poolNotices(this.input.pools, next)) {
        if (this.notices.allow(notice)) this.shell.notify(notice.title, notice.body);
      }
      this.input.pools = next;
      this.input.mode = configs.mode;
      this.render();
    } catch {
      // The core may be going down; supervision reports that, and the next poll tries again.
    }
  }

  private trayPool(p: PoolSnapshot): TrayPool {
    const member = (m: PoolSnapshot['members'][number]) => ({ name: m.name, alive: m.alive, latencyMs: m.latencyMs ?? this.latencyByServer.get(m.name) ?? null });
    return { name: p.name, type: p.type, strategy: p.strategy, now: p.now, members: p.members.map(member), backup: p.backup.map(member) };
  }

  private requireApi(): CoreApi {
    if (!this.api) throw new DesktopError('CORE_UNAVAILABLE', `the core is ${this.supervisor.status}`);
    return this.api;
  }

  /** State the user sees changed: tray (throttled) and window. */
  private changed(): void {
    this.input.systemProxy = { enabled: this.options.systemProxy.enabled, available: this.options.systemProxy.available };
    this.render();
    void this.state().then(
      (state) => this.shell.stateChanged(state),
      () => undefined,
    );
  }

  private renderNow(): void {
    this.shell.renderTray({
      icon: trayIconState(this.input),
      tooltip: trayTooltip(this.input),
      menu: buildTrayMenu(this.input, { maxMembers: this.options.maxMembers }),
    });
  }
}

/** The system proxy must name an address clients can connect to, not a wildcard bind. */
function connectHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

function controllerInfo(info: CoreInfo): ControllerInfo {
  return { url: `http://127.0.0.1:${info.port}`, token: info.secret };
}
