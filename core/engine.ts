import type { Outbound, ConnectionMeta } from './adapter/outbound.js';
import type { Profile, GroupConfig } from './config/types.js';
import { listenAddress } from './config/settings.js';
import type { ProtocolRegistry } from './protocol/registry.js';
import { createProtocolRegistry } from './protocol/index.js';
import { createDirect } from './protocol/direct/index.js';
import { createReject } from './protocol/reject/index.js';
import { Pool } from './balance/pool.js';
import type { Rule } from './route/rules.js';
import { createRouting, type RoutingOptions } from './route/routing.js';
import type { RouteMatch, Router } from './route/router.js';
import type { AppPolicies } from './route/app-policies.js';
import { RoutingDispatcher, type RouteDecision } from './route/dispatcher.js';
import { TrafficStats } from './stats/traffic.js';
import { ConnectionTracker } from './stats/tracker.js';
import { MixedInbound, type BoundAddress } from './inbound/index.js';
import { silentLogger, type Logger } from './logger.js';
import { nativeAeadStatus } from './protocol/common/native-aead.js';
import type { Clock } from './adapter/clock.js';
import { createEngineProbes, type EngineProbeOptions, type Probes, type ProbeScheduler } from './probe/index.js';
import type { Controller, ControllerAddress, ControllerOptions } from './api/index.js';
import { ProxyProviders, type ProviderDeps } from './subscription/providers.js';
import { ProviderPoolFeeder } from './subscription/providers-pools.js';
import { StoredProviders, type StoredProvidersDeps } from './subscription/stored-providers.js';

export interface EngineOptions {
  logger?: Logger;
  registry?: ProtocolRegistry;
  clock?: Clock;
  /** Overrides the profile's mixed-port (0 picks a free port; tests use it). */
  mixedPort?: number;
  handshakeTimeoutMs?: number;
  /** Probe history store, concurrency, defaults (core/probe/index.ts); history stays in memory without a store. */
  probe?: EngineProbeOptions;
  /** Controller settings beyond the profile's (the CLI's log hub; tests' port 0). */
  controller?: ControllerOptions;
  /** Where http proxy-providers keep their last good body (`<dataDir>/providers/<name>.yaml`); no cache without it. */
  dataDir?: string;
  /** The profile's folder: relative `path:` of file proxy-providers resolves against it. */
  profileDir?: string;
  /** Download limits and User-Agent for http proxy-providers (core/subscription/fetch.ts defaults otherwise). */
  providerFetch?: ProviderDeps['fetch'];
  /** Per-app policies: the store for the app list (memory without one), whether to look up every connection's process. */
  apps?: RoutingOptions;
  /** The app's stored subscriptions and servers, run as providers (core/subscription/stored-providers.ts). */
  stored?: Pick<StoredProvidersDeps, 'store' | 'refreshSubscription'>;
}

/** Clash's name for the selector used in `mode: global`. */
export const GLOBAL_GROUP = 'GLOBAL';

/**
 * The running core built from a profile (plain data): outbounds, pools, rules, statistics and the
 * mixed inbound. Nothing here parses YAML or knows about the UI.
 */
export class Engine {
  readonly stats = new TrafficStats();
  readonly tracker = new ConnectionTracker(this.stats);
  /** Every outbound by name: DIRECT, REJECT, each proxy, each pool, GLOBAL. */
  readonly outbounds = new Map<string, Outbound>();
  readonly pools = new Map<string, Pool>();
  readonly inbound: MixedInbound;
  /** Latency and speed tests, health and history (the controller API's ProbeService). */
  readonly probes: Probes;
  private readonly probeScheduler: ProbeScheduler;
  private readonly logger: Logger;
  /** The rules engine: per-app rules, then the profile's; resolves names and looks up processes when a rule needs it. */
  readonly router: Router;
  /** Applications seen and their policies (GET/PUT /switchyard/apps). */
  readonly apps: AppPolicies;
  /** The profile's proxy-providers; their proxies join the pools that `use:` them at start(). */
  readonly providers: ProxyProviders;
  /** The stored subscriptions and servers, as providers, when the engine was given a store. */
  readonly stored?: StoredProviders;
  /** Running while the profile has `external-controller`. */
  controller?: Controller;
  private mode: Profile['mode'];

  constructor(
    readonly profile: Profile,
    private readonly options: EngineOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.mode = profile.mode;
    const registry = options.registry ?? createProtocolRegistry();
    this.outbounds.set('DIRECT', createDirect('DIRECT'));
    this.outbounds.set('REJECT', createReject('REJECT'));
    for (const proxy of profile.proxies) {
      this.outbounds.set(proxy.name, registry.get(proxy.type).create(proxy, { logger: this.logger }));
    }
    this.buildPools(profile.proxyGroups, options.clock);
    this.providers = new ProxyProviders(profile.proxyProviders, {
      registry,
      logger: this.logger,
      dataDir: options.dataDir,
      baseDir: options.profileDir,
      reservedNames: new Set(this.outbounds.keys()),
      fetch: options.providerFetch,
    });
    const ownGlobal = profile.proxyGroups.some((g) => g.name === GLOBAL_GROUP) ? undefined : this.pools.get(GLOBAL_GROUP);
    const feeder = new ProviderPoolFeeder({ profile, pools: this.pools, outbounds: this.outbounds, providers: this.providers, globalPool: ownGlobal });
    this.providers.onChange(() => feeder.apply());
    if (options.stored) {
      this.stored = new StoredProviders({ ...options.stored, providers: this.providers, profileProxies: profile.proxies, logger: this.logger });
    }
    ({ probes: this.probes, scheduler: this.probeScheduler } = createEngineProbes(
      { profile, pools: this.pools, outbounds: this.outbounds, stats: this.stats, clock: options.clock, logger: this.logger },
      options.probe,
    ));
    ({ router: this.router, apps: this.apps } = createRouting(
      profile.rules,
      { tracker: this.tracker, poolNames: () => [...this.pools.keys()], serverPort: () => this.inbound?.address?.port, logger: this.logger },
      options.apps,
    ));
    const dispatcher = new RoutingDispatcher((meta) => this.route(meta), this.tracker, this.logger);
    this.inbound = new MixedInbound(dispatcher, {
      host: listenAddress(profile),
      port: options.mixedPort ?? profile.mixedPort,
      authentication: profile.authentication.map((c) => `${c.username}:${c.password}`),
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      logger: this.logger,
    });
  }

  /** Groups may name other groups; the loader has refused cycles, so build each after its members. */
  private buildPools(groups: readonly GroupConfig[], clock?: Clock): void {
    const byName = new Map(groups.map((g) => [g.name, g]));
    const weights: Record<string, number> = {};
    for (const p of this.profile.proxies) if (typeof p.weight === 'number') weights[p.name] = p.weight;
    const build = (g: GroupConfig): Pool => {
      const existing = this.pools.get(g.name);
      if (existing) return existing;
      const resolve = (name: string): Outbound => {
        const group = byName.get(name);
        return group ? build(group) : this.outbounds.get(name)!;
      };
      const pool = new Pool(
        {
          name: g.name,
          type: g.type,
          strategy: g.strategy,
          members: g.proxies.map(resolve),
          backup: g.backup.map(resolve),
          weights,
          maxFailedTimes: g.maxFailedTimes,
          failTimeoutMs: g.failTimeout === undefined ? undefined : g.failTimeout * 1000,
          tolerance: g.tolerance,
        },
        { clock, logger: this.logger },
      );
      this.pools.set(g.name, pool);
      this.outbounds.set(g.name, pool);
      return pool;
    };
    for (const g of groups) build(g);
    // `mode: global` sends everything to one selector of all groups and proxies, as Clash does.
    const everything = [...groups.map((g) => this.pools.get(g.name)!), ...this.profile.proxies.map((p) => this.outbounds.get(p.name)!), this.outbounds.get('DIRECT')!];
    if (!byName.has(GLOBAL_GROUP)) {
      const global = new Pool({ name: GLOBAL_GROUP, type: 'select', members: everything }, { clock, logger: this.logger });
      this.pools.set(GLOBAL_GROUP, global);
      this.outbounds.set(GLOBAL_GROUP, global);
    }
  }

  /** The rules in use, in match order: per-app first. */
  get rules(): readonly Rule[] {
    return this.router.rules;
  }

  get currentMode(): Profile['mode'] {
    return this.mode;
  }

  setMode(mode: Profile['mode']): void {
    this.mode = mode;
  }

  route(meta: ConnectionMeta): RouteDecision | Promise<RouteDecision> {
    if (this.mode === 'direct') return { outbound: this.outbounds.get('DIRECT')!, rule: 'Direct', payload: '' };
    if (this.mode === 'global') return { outbound: this.outbounds.get(GLOBAL_GROUP)!, rule: 'Global', payload: '' };
    const match = this.router.decide(meta);
    return match instanceof Promise ? match.then((m) => this.decision(m)) : this.decision(match);
  }

  private decision(m: RouteMatch | undefined): RouteDecision {
    // Clash sends unmatched traffic DIRECT; a profile normally ends with MATCH.
    if (!m) return { outbound: this.outbounds.get('DIRECT')!, rule: 'Final', payload: '' };
    return { outbound: this.outbounds.get(m.target)!, rule: m.type, payload: m.payload };
  }

  async start(): Promise<{ mixed: BoundAddress; controller?: ControllerAddress }> {
    this.stats.start();
    await this.providers.start();
    this.stored?.start();
    const mixed = await this.inbound.start();
    this.logCipherPath();
    this.probeScheduler.start();
    this.apps.start();
    if (!this.profile.externalController) return { mixed };
    // Loaded only when the profile asks for it: the controller (ws, routes, UI server) is not on the data path.
    const { Controller } = await import('./api/controller.js');
    this.controller = new Controller(this, { logger: this.logger, ...this.options.controller });
    const controller = await this.controller.start();
    return { mixed, controller };
  }

  /** Once per start: VMess and Shadowsocks run several times slower on the node:crypto fallback. */
  private logCipherPath(): void {
    const aead = nativeAeadStatus();
    if (aead.loaded) this.logger.debug({}, 'VMess/Shadowsocks chunk ciphers: native AEAD context');
    else this.logger.info({ reason: aead.reason }, 'VMess/Shadowsocks chunk ciphers: node:crypto (native AEAD context not loaded)');
  }

  /** Stops accepting, ends every open connection, stops timers. */
  async stop(): Promise<void> {
    this.probeScheduler.stop();
    this.providers.stop();
    this.stored?.stop();
    await this.controller?.close();
    const closing = this.inbound.close();
    this.tracker.closeAll();
    this.apps.stop();
    await closing;
    this.stats.stop();
    await Promise.all([...this.outbounds.values()].map((o) => o.close?.()));
  }
}
