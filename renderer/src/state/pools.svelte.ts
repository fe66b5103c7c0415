import { get, pathOf, request } from '../lib/api/client.js';
import type { PoolSnapshot, UiPoolProbeSettings, UiStrategies } from '../lib/api/types.js';
import { runAction } from './actions.svelte.js';

/** Clash's selector for `mode: global`; the engine adds it, the user did not write it. */
export const GLOBAL_POOL = 'GLOBAL';

/**
 * Pools as the core has them: members, strategy, probe settings, and the strategies it knows. Live
 * numbers (rates, latency, state) come from the stats stream; this is the structure, fetched on load and
 * after every change.
 */
class PoolsStore {
  list = $state.raw<PoolSnapshot[]>([]);
  strategies = $state.raw<UiStrategies | null>(null);
  probeSettings = $state.raw<Record<string, UiPoolProbeSettings>>({});
  loaded = $state(false);
  error = $state('');

  /** The user's pools, without the engine's GLOBAL selector. */
  readonly userPools = $derived(this.list.filter((p) => p.name !== GLOBAL_POOL));
  /** Pool names each server sits in (as member or backup). */
  readonly poolsOfServer = $derived.by(() => {
    const map = new Map<string, string[]>();
    for (const p of this.userPools) {
      for (const m of [...p.members, ...p.backup]) {
        const list = map.get(m.name) ?? [];
        if (!list.includes(p.name)) list.push(p.name);
        map.set(m.name, list);
      }
    }
    return map;
  });
}

export const pools = new PoolsStore();

export async function loadPools(): Promise<void> {
  try {
    const [snapshots, strategies, settings] = await Promise.all([
      get<{ pools: PoolSnapshot[] }>('/switchyard/pools'),
      get<UiStrategies>('/switchyard/strategies'),
      get<{ pools: Record<string, UiPoolProbeSettings> }>('/switchyard/probe-settings'),
    ]);
    pools.list = snapshots.pools;
    pools.strategies = strategies;
    pools.probeSettings = settings.pools;
    pools.error = '';
  } catch (err) {
    pools.error = (err as Error).message;
  } finally {
    pools.loaded = true;
  }
}

/** Switches a load-balance pool's strategy in the running core. */
export async function setStrategy(pool: string, strategy: string): Promise<void> {
  await runAction(`strategy:${pool}`, async () => {
    await request('PUT', pathOf('/switchyard/pools', pool, 'strategy'), { strategy });
    await loadPools();
  });
}

/** The member a select pool uses (Clash's PUT /proxies/{group}). */
export async function selectMember(pool: string, member: string): Promise<void> {
  await runAction(`select:${pool}`, async () => {
    await request('PUT', pathOf('/proxies', pool), { name: member });
    await loadPools();
  });
}
