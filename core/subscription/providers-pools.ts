import type { Outbound } from '../adapter/outbound.js';
import type { Pool } from '../balance/pool.js';
import type { Profile } from '../config/types.js';
import type { ProxyProviders } from './providers.js';

export interface ProviderPoolDeps {
  profile: Profile;
  pools: ReadonlyMap<string, Pool>;
  /** The engine's outbounds by name; provider proxies are added to it and removed when they leave. */
  outbounds: Map<string, Outbound>;
  providers: ProxyProviders;
  /** The engine's own GLOBAL selector, when the profile does not define one. */
  globalPool?: Pool;
}

/**
 * Feeds provider proxies into the pools that `use:` them, the Clash way: a group's members are its
 * `proxies:` followed by each used provider's proxies, in `use:` order. Call apply() after every load or
 * refresh; members whose name stays keep their pool state (Pool.setMembers). A group with
 * `include-all-providers` takes every provider's, the stored ones included.
 */
export class ProviderPoolFeeder {
  /** Provider proxy names placed in `outbounds` by the previous apply(). */
  private placed = new Set<string>();

  constructor(private readonly deps: ProviderPoolDeps) {}

  apply(): void {
    const { profile, pools, outbounds, providers, globalPool } = this.deps;
    const now = new Map<string, Outbound>();
    const weights: Record<string, number> = {};
    for (const provider of providers.list()) {
      for (const p of provider.proxies) {
        now.set(p.name, p.outbound);
        if (typeof p.config.weight === 'number') weights[p.name] = p.config.weight;
      }
    }
    for (const name of this.placed) if (!now.has(name)) outbounds.delete(name);
    for (const [name, outbound] of now) outbounds.set(name, outbound);

    for (const group of profile.proxyGroups) {
      if (group.use.length === 0 && !group.includeAllProviders) continue;
      const pool = pools.get(group.name);
      if (!pool) continue;
      const listed = group.proxies.map((name) => outbounds.get(name)).filter((o): o is Outbound => o !== undefined);
      const used = group.includeAllProviders ? [...new Set([...group.use, ...providers.list().map((p) => p.name)])] : group.use;
      const provided = used.flatMap((name) => providers.get(name)?.proxies.map((p) => p.outbound) ?? []);
      pool.setMembers([...listed, ...provided], weights);
    }

    if (globalPool) {
      // GLOBAL lists every group and proxy; provider proxies go just before DIRECT, which stays last.
      const { members } = globalPool.memberNames();
      const kept = members.filter((name) => !this.placed.has(name) && name !== 'DIRECT');
      const list = [...kept, ...now.keys(), 'DIRECT'].map((name) => outbounds.get(name)).filter((o): o is Outbound => o !== undefined);
      globalPool.setMembers(list);
    }
    this.placed = new Set(now.keys());
  }
}
