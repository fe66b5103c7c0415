import type { Store, ServerRecord } from '../store/index.js';
import { silentLogger, type Logger } from '../logger.js';
import { identityFields, serverKey } from './identity.js';
import type { ExternalProxy, ExternalSource, ProxyProviders } from './providers.js';
import type { ProxyConfig } from './types.js';

/** The provider of the servers the user added by hand; each subscription is a provider under its own name. */
export const MANUAL_PROVIDER = 'Manual';
/** mihomo's name for the profile's own proxies (routes/providers.ts): no stored provider may take it. */
const BUILT_IN_PROVIDER = 'default';

export interface StoredProvidersDeps {
  store: Store;
  providers: ProxyProviders;
  /** The profile's proxies: a stored manual server that is one of them (a profile import) is not added twice. */
  profileProxies: readonly { type: string; [field: string]: unknown }[];
  /** Runs a subscription's refresh (PUT /providers/proxies/{name}); the store's change brings the servers. */
  refreshSubscription?: (id: string) => Promise<{ ok: true } | { ok: false; error: string }> | undefined;
  logger?: Logger;
}

/**
 * The servers kept in the store, running in the engine: each enabled subscription becomes a proxy
 * provider named after it, the servers added by hand the provider `Manual`; only enabled, usable servers,
 * with the weight the user gave them. Pools take them with `use: [name]` or `include-all-providers: true`.
 * Any write to the store (a refresh, the API, an import) re-reads it on the next turn of the event loop;
 * unchanged servers keep their outbound and pool state (ProxyProviders.setExternal).
 */
export class StoredProviders {
  private readonly logger: Logger;
  private placed = new Set<string>();
  private names = new Map<string, string>();
  private unsubscribe?: () => void;
  private pending?: NodeJS.Immediate;
  private readonly warned = new Set<string>();

  constructor(private readonly deps: StoredProvidersDeps) {
    this.logger = deps.logger ?? silentLogger;
  }

  start(): void {
    this.sync();
    this.unsubscribe = this.deps.store.changes.on(() => this.schedule());
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.pending) clearImmediate(this.pending);
    this.pending = undefined;
  }

  /** The name a stored server runs under in the engine; undefined while it is disabled, unusable or not in use. */
  outboundName(serverId: string): string | undefined {
    return this.names.get(serverId);
  }

  /** Makes the engine's stored providers match the store now. */
  sync(): void {
    const { store, providers } = this.deps;
    const own = providers.list().filter((p) => !p.external);
    const taken = new Set([BUILT_IN_PROVIDER, ...own.map((p) => p.name)]);
    const ownUrls = new Set(own.map((p) => p.config.url).filter((u): u is string => u !== undefined));
    const uniqueName = (base: string): string => {
      let name = base;
      for (let n = 2; taken.has(name); n++) name = `${base} ${n}`;
      taken.add(name);
      return name;
    };
    const wanted: { name: string; apply: () => void }[] = [];

    for (const sub of store.subscriptions.list()) {
      if (!sub.enabled) continue;
      if (ownUrls.has(sub.url)) {
        this.warnOnce(`subscription ${sub.name}`, `stored subscription ${JSON.stringify(sub.name)} is also a proxy-provider of the profile; the profile's is used`);
        continue;
      }
      const name = uniqueName(sub.name);
      const source: ExternalSource = { vehicleType: 'HTTP', refresh: this.refresher(sub.id) };
      const proxies = store.servers.listForSubscription(sub.id).filter(usable).map(toProxy);
      const info = { upload: sub.upload ?? undefined, download: sub.download ?? undefined, total: sub.total ?? undefined, expire: sub.expire ?? undefined };
      const state = { updatedAt: sub.lastSuccessAt ?? undefined, info, lastError: sub.lastError ?? undefined };
      wanted.push({ name, apply: () => providers.setExternal(name, { type: 'http', url: sub.url, ...(sub.intervalS ? { interval: sub.intervalS } : {}) }, source, proxies, state) });
    }

    const profileIds = new Set(this.deps.profileProxies.map((p) => serverKey(null, identityFields(p as ProxyConfig))));
    const manual = store.servers.listForSubscription(null).filter((s) => usable(s) && !profileIds.has(s.id.replace(/-\d+$/, '')));
    if (manual.length) {
      const name = uniqueName(MANUAL_PROVIDER);
      const updatedAt = Math.max(...manual.map((s) => s.updatedAt));
      wanted.push({ name, apply: () => providers.setExternal(name, { type: 'file' }, { vehicleType: 'Inline' }, manual.map(toProxy), { updatedAt, info: {} }) });
    }

    const now = new Set(wanted.map((w) => w.name));
    for (const name of this.placed) if (!now.has(name)) providers.removeExternal(name);
    for (const w of wanted) w.apply();
    providers.orderExternal([...now]);
    this.placed = now;
    this.names = new Map();
    for (const name of now) for (const p of providers.get(name)?.proxies ?? []) if (p.key) this.names.set(p.key, p.name);
  }

  private schedule(): void {
    // Many writes in one go (a refresh of 5,000 servers, a profile import) make one re-read.
    this.pending ??= setImmediate(() => {
      this.pending = undefined;
      try {
        this.sync();
      } catch (err) {
        this.logger.error({ err: (err as Error).message }, 'stored servers could not be applied to the running pools');
      }
    });
  }

  private refresher(id: string): (() => Promise<void>) | undefined {
    const refresh = this.deps.refreshSubscription;
    if (!refresh) return undefined;
    return async () => {
      const result = await refresh(id);
      if (result && !result.ok) throw new Error(result.error);
    };
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger.warn(message);
  }
}

const usable = (s: ServerRecord): boolean => s.enabled && s.unsupportedReason === null;

function toProxy(s: ServerRecord): ExternalProxy {
  return { key: s.id, config: { ...(s.config as ProxyConfig), name: s.name, type: s.type, weight: s.weight } };
}
