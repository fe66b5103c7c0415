import fs from 'node:fs/promises';
import path from 'node:path';
import type { Outbound } from '../adapter/outbound.js';
import type { ProviderConfig } from '../config/types.js';
import type { ProxyConfig } from './types.js';
import type { ProtocolRegistry } from '../protocol/registry.js';
import { silentLogger, type Logger } from '../logger.js';
import { fetchSubscription, type FetchOptions } from './fetch.js';
import type { SubscriptionInfo } from './fetch-headers.js';
import { parseSubscription } from './formats/parse-subscription.js';
import { createNameDeduplicator } from './formats/unique-names.js';
import { checkProxy } from './providers-validate.js';
import { cutOffReason } from './refresh-servers.js';

export interface ProviderDeps {
  registry: ProtocolRegistry;
  logger?: Logger;
  /** Where http providers keep their last good body: `<dataDir>/providers/<name>.yaml`. No cache without it. */
  dataDir?: string;
  /** Relative `path:` of file providers resolves against this (the profile's folder); default the working dir. */
  baseDir?: string;
  /** Names provider proxies must not take (the profile's proxies and groups, DIRECT, REJECT, GLOBAL). */
  reservedNames?: ReadonlySet<string>;
  fetch?: Pick<FetchOptions, 'timeoutMs' | 'maxBytes' | 'maxRedirects' | 'userAgent'>;
}

/** One proxy a provider brought, built into an outbound. */
export interface ProviderProxy {
  name: string;
  config: ProxyConfig;
  outbound: Outbound;
  /** The stored server's id, for a proxy of a stored provider. */
  key?: string;
}

/** A proxy handed to an external provider: its config and, optionally, the key it is known by elsewhere. */
export interface ExternalProxy {
  config: ProxyConfig;
  key?: string;
}

/**
 * A provider whose proxies someone else keeps (a subscription in the store): ProxyProviders neither
 * reads nor schedules it; refresh() asks the owner, who then hands over the new list with setExternal().
 */
export interface ExternalSource {
  /** mihomo's vehicleType for it ('HTTP' for a subscription, 'Inline' for servers added by hand). */
  vehicleType: string;
  refresh?: () => Promise<void>;
}

/** One `proxy-providers:` entry at run time. */
export class ProxyProvider {
  proxies: ProviderProxy[] = [];
  /** Epoch ms the proxies were read (for a cached copy: when it was written); undefined before any load. */
  updatedAt?: number;
  /** Subscription-Userinfo and the rest, from the last fetch. */
  info: SubscriptionInfo = {};
  lastError?: string;

  constructor(
    readonly name: string,
    public config: ProviderConfig,
    /** Set when the proxies come from elsewhere (setExternal), not from the config's file or URL. */
    public external?: ExternalSource,
  ) {}

  /** mihomo's vehicleType. */
  get vehicleType(): string {
    if (this.external) return this.external.vehicleType;
    return this.config.type === 'http' ? 'HTTP' : 'File';
  }
}

/**
 * The profile's `proxy-providers`, Clash style: a `file` provider reads a file, an `http` provider
 * downloads a subscription (any format parseSubscription reads) and keeps the body in the data dir, using
 * that copy when a later download fails — and, like mihomo, at start when it is younger than `interval`.
 * Each proxy becomes an outbound through the protocol registry; proxies of a type we do not run, or whose
 * fields their protocol refuses, are skipped with one warning each. A name already taken (by the profile
 * or an earlier provider) gets a ` 2` suffix. `interval` (seconds) refreshes a provider on a timer;
 * onChange listeners then rebuild the pools that `use:` it (providers-pools.ts).
 */
export class ProxyProviders {
  private readonly providers = new Map<string, ProxyProvider>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly listeners = new Set<(name: string) => void>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly logger: Logger;

  constructor(
    configs: Readonly<Record<string, ProviderConfig>>,
    private readonly deps: ProviderDeps,
  ) {
    this.logger = deps.logger ?? silentLogger;
    for (const [name, config] of Object.entries(configs)) this.providers.set(name, new ProxyProvider(name, config));
  }

  list(): ProxyProvider[] {
    return [...this.providers.values()];
  }

  get(name: string): ProxyProvider | undefined {
    return this.providers.get(name);
  }

  /** Loads every provider (in parallel), tells the listeners, then starts the interval timers. */
  async start(): Promise<void> {
    const own = this.list().filter((p) => !p.external);
    await Promise.all(own.map((p) => this.load(p, true)));
    if (this.providers.size) this.changed('*');
    for (const p of own) {
      const interval = p.config.interval ?? 0;
      if (!(interval > 0)) continue;
      // A failure is logged by load() and leaves the proxies as they were.
      const timer = setInterval(() => this.refresh(p.name).catch(() => {}), Math.min(interval * 1000, 2 ** 31 - 1));
      timer.unref();
      this.timers.add(timer);
    }
  }

  /** Reads the provider again now (an http provider downloads); a refresh under way is joined. */
  refresh(name: string): Promise<void> {
    const provider = this.providers.get(name);
    if (!provider) return Promise.reject(new Error(`proxy provider ${JSON.stringify(name)} not found`));
    if (provider.external) return provider.external.refresh?.() ?? Promise.resolve();
    const running = this.inflight.get(name);
    if (running) return running;
    const job = (async () => {
      const before = provider.proxies;
      const ok = await this.load(provider, false);
      if (provider.proxies !== before) {
        this.changed(name);
        closeReplaced(before, provider.proxies);
      }
      if (!ok) throw new Error(provider.lastError);
    })().finally(() => this.inflight.delete(name));
    this.inflight.set(name, job);
    return job;
  }

  /**
   * Adds or replaces a provider whose proxies are kept elsewhere (core/subscription/stored-providers.ts).
   * Names are made unique against the others as for any provider; an unchanged proxy keeps its outbound.
   * Listeners hear of it only when the proxy list changed. A name a profile provider holds is refused.
   */
  setExternal(name: string, config: ProviderConfig, source: ExternalSource, proxies: readonly ExternalProxy[], state: Pick<ProxyProvider, 'updatedAt' | 'info' | 'lastError'>): void {
    let provider = this.providers.get(name);
    if (provider && !provider.external) throw new Error(`proxy provider ${JSON.stringify(name)} is the profile's own`);
    provider ??= new ProxyProvider(name, config, source);
    this.providers.set(name, provider);
    Object.assign(provider, { config, external: source, updatedAt: state.updatedAt, info: state.info, lastError: state.lastError });
    const before = provider.proxies;
    provider.proxies = this.build(
      provider,
      proxies.map((p) => p.config),
      [],
      proxies.map((p) => p.key),
    );
    const same = before.length === provider.proxies.length && before.every((p, i) => p === provider.proxies[i]);
    if (same) return;
    this.changed(name);
    closeReplaced(before, provider.proxies);
  }

  /**
   * Puts the external providers in this order, after the profile's own (the order `include-all-providers`
   * takes them in); tells the listeners when it changed.
   */
  orderExternal(names: readonly string[]): void {
    const own = this.list().filter((p) => !p.external);
    const external = names.map((n) => this.providers.get(n)).filter((p): p is ProxyProvider => p?.external !== undefined);
    const rest = this.list().filter((p) => p.external && !names.includes(p.name));
    const next = [...own, ...external, ...rest];
    if (next.every((p, i) => this.list()[i] === p)) return;
    this.providers.clear();
    for (const p of next) this.providers.set(p.name, p);
    this.changed('*');
  }

  /** Removes an external provider; its proxies leave the pools. */
  removeExternal(name: string): void {
    const provider = this.providers.get(name);
    if (!provider?.external) return;
    this.providers.delete(name);
    this.changed(name);
    closeReplaced(provider.proxies, []);
  }

  /** Called with the provider's name ('*' after the first load) once its proxies changed. */
  onChange(listener: (name: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.clear();
  }

  /** The cache file of an http provider (the name made safe for any file system). */
  cachePath(name: string): string | undefined {
    if (!this.deps.dataDir) return undefined;
    const safe = encodeURIComponent(name).replace(/[*'()!~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    return path.join(this.deps.dataDir, 'providers', `${safe}.yaml`);
  }

  /** Returns false when the source failed (the proxies it had, or its cache, stay in use). */
  private async load(provider: ProxyProvider, atStart: boolean): Promise<boolean> {
    try {
      const { body, at, downloaded } = await this.read(provider, atStart);
      const parsed = parseSubscription(body);
      const cut = cutOffReason(body, parsed);
      if (cut) throw new Error(cut);
      // Only a body that read well replaces the cached copy.
      if (downloaded) await this.writeCache(provider, body);
      provider.proxies = this.build(provider, parsed.proxies, parsed.unsupported.map((u) => ({ name: u.name ?? u.scheme, reason: u.reason })));
      provider.updatedAt = at;
      provider.lastError = undefined;
      return true;
    } catch (err) {
      provider.lastError = (err as Error).message;
      this.logger.warn({ provider: provider.name, error: provider.lastError }, 'proxy-provider could not be loaded; its previous proxies stay');
      if (atStart && provider.proxies.length === 0) await this.loadCache(provider);
      return false;
    }
  }

  private async read(provider: ProxyProvider, atStart: boolean): Promise<{ body: Buffer; at: number; downloaded: boolean }> {
    const { config } = provider;
    if (config.type === 'file') {
      const file = path.resolve(this.deps.baseDir ?? process.cwd(), config.path!);
      return { body: await fs.readFile(file), at: Date.now(), downloaded: false };
    }
    const cache = this.cachePath(provider.name);
    if (atStart && cache && config.interval) {
      // mihomo's rule: a copy younger than the interval is used as it is, so a restart does not download.
      const stat = await fs.stat(cache).catch(() => undefined);
      if (stat && Date.now() - stat.mtimeMs < config.interval * 1000) return { body: await fs.readFile(cache), at: stat.mtimeMs, downloaded: false };
    }
    const fetched = await fetchSubscription(config.url!, this.deps.fetch);
    provider.info = fetched.info;
    return { body: fetched.body, at: Date.now(), downloaded: true };
  }

  private async writeCache(provider: ProxyProvider, body: Buffer): Promise<void> {
    const cache = this.cachePath(provider.name);
    if (!cache) return;
    try {
      await writeAtomically(cache, body);
    } catch (err) {
      this.logger.warn({ provider: provider.name, err: (err as Error).message }, 'proxy-provider cache not written');
    }
  }

  private async loadCache(provider: ProxyProvider): Promise<void> {
    const cache = provider.config.type === 'http' ? this.cachePath(provider.name) : undefined;
    if (!cache) return;
    try {
      const [body, stat] = await Promise.all([fs.readFile(cache), fs.stat(cache)]);
      provider.proxies = this.build(provider, parseSubscription(body).proxies, []);
      provider.updatedAt = stat.mtimeMs;
      this.logger.warn({ provider: provider.name, proxies: provider.proxies.length }, 'proxy-provider uses its cached copy');
    } catch {
      // No cache, or an unreadable one: the provider stays empty until a refresh succeeds.
    }
  }

  /**
   * Outbounds for the proxies; an unchanged proxy keeps its outbound, so its pool state stays with it (a
   * change of weight alone too: the weight is the pool's business, not the outbound's).
   */
  private build(provider: ProxyProvider, proxies: readonly ProxyConfig[], unsupported: readonly { name: string; reason: string }[], keys: readonly (string | undefined)[] = []): ProviderProxy[] {
    const unique = createNameDeduplicator();
    const taken = new Set(this.takenNames(provider));
    for (const name of taken) unique(name);
    // A stored server keeps the name it runs under (`HK 2` stays `HK 2` when the other `HK` leaves):
    // stats, probes and the user's eye follow it by name. Claimed first, so newcomers cannot take it.
    const previousByKey = new Map(provider.proxies.flatMap((p) => (p.key === undefined ? [] : [[p.key, p.name] as const])));
    const claimed = proxies.map((proxy, i) => {
      const prev = keys[i] === undefined ? undefined : previousByKey.get(keys[i]!);
      if (prev === undefined || !nameDerivedFrom(prev, proxy.name) || taken.has(prev)) return undefined;
      taken.add(prev);
      unique(prev);
      return prev;
    });
    const previous = new Map(provider.proxies.map((p) => [p.name, p]));
    const built: ProviderProxy[] = [];
    const skip = (name: string, reason: string) => this.logger.warn(`proxy-provider ${provider.name}: skipped ${JSON.stringify(name)}: ${reason}`);
    for (const u of unsupported) skip(u.name, u.reason);
    proxies.forEach((proxy, i) => {
      const key = keys[i];
      const check = checkProxy(this.deps.registry, proxy);
      if (!('ok' in check)) {
        skip(proxy.name, check.reason);
        return;
      }
      const name = claimed[i] ?? unique(proxy.name);
      const config: ProxyConfig = { ...check.ok, name };
      const old = previous.get(name);
      if (old && old.key === key && sameServer(old.config, config)) {
        built.push(old.config.weight === config.weight ? old : { ...old, config });
        return;
      }
      try {
        built.push({ name, config, outbound: this.deps.registry.get(config.type).create(config, { logger: this.logger }), ...(key === undefined ? {} : { key }) });
      } catch (err) {
        skip(proxy.name, (err as Error).message);
      }
    });
    return built;
  }

  private *takenNames(except: ProxyProvider): Iterable<string> {
    yield* this.deps.reservedNames ?? [];
    for (const p of this.providers.values()) if (p !== except) for (const proxy of p.proxies) yield proxy.name;
  }

  private changed(name: string): void {
    for (const listener of this.listeners) {
      try {
        listener(name);
      } catch (err) {
        this.logger.error({ err: (err as Error).message }, 'proxy-provider change listener threw');
      }
    }
  }
}

/** `HK` or `HK 2` for a proxy named `HK`: a name the deduplicator may have made from it. */
function nameDerivedFrom(name: string, base: string): boolean {
  return name === base || (name.startsWith(`${base} `) && /^\d+$/.test(name.slice(base.length + 1)));
}

/** Whether two configs describe the same outbound: everything but the weight is equal. */
function sameServer(a: ProxyConfig, b: ProxyConfig): boolean {
  return JSON.stringify({ ...a, weight: undefined }) === JSON.stringify({ ...b, weight: undefined });
}

/** Outbounds no longer in use are closed; the connections they carry go on until they end. */
function closeReplaced(before: readonly ProviderProxy[], after: readonly ProviderProxy[]): void {
  const kept = new Set(after.map((p) => p.outbound));
  for (const p of before) if (!kept.has(p.outbound)) void Promise.resolve(p.outbound.close?.()).catch(() => {});
}

async function writeAtomically(file: string, body: Buffer): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, body);
  await fs.rename(tmp, file);
}
