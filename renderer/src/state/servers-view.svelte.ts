import { live } from './live.svelte.js';
import { pools } from './pools.svelte.js';
import { providerLabel, providers } from './providers.svelte.js';

export type GroupBy = 'pool' | 'subscription';
export type SortBy = 'list' | 'latency' | 'rate' | 'score';

/** How the servers page is arranged; kept while the page is open. */
export const serversView = $state({
  groupBy: 'pool' as GroupBy,
  sortBy: 'list' as SortBy,
  filter: '',
  collapsed: {} as Record<string, boolean>,
});

export type ServerListItem =
  | { kind: 'group'; key: string; group: string; label: string; count: number }
  | { kind: 'server'; key: string; group: string; name: string };

export const GROUP_ROW_PX = 34;
export const SERVER_ROW_PX = 48;

const NO_POOL = '\u0000none';

/** Server names in profile order (the stats stream lists `proxies:` in order). */
function serverNames(): string[] {
  const key = live.serverNames;
  return key === '' ? [] : key.split('\n');
}

function groupsOf(name: string, by: GroupBy): string[] {
  if (by === 'subscription') return [providers.providerOf.get(name) ?? 'default'];
  const inPools = pools.poolsOfServer.get(name);
  return inPools && inPools.length ? inPools : [NO_POOL];
}

function sortValue(name: string, by: SortBy): number {
  const s = live.servers.get(name);
  if (!s) return Infinity;
  if (by === 'latency') return s.state === 'down' || s.latencyMs === null ? Infinity : s.latencyMs;
  if (by === 'rate') return -(s.upRate + s.downRate);
  if (by === 'score') return -(s.score ?? -1);
  return 0;
}

/**
 * The flat list the virtual list draws: a header per group, then its servers. A server in two pools is
 * listed under each. Recomputed when servers, pools or the arrangement change, and each second only
 * when sorting by a live number.
 */
export function buildServerList(): ServerListItem[] {
  const by = serversView.groupBy;
  const sortBy = serversView.sortBy;
  const needle = serversView.filter.trim().toLowerCase();
  const groups = new Map<string, string[]>();
  if (by === 'pool') for (const p of pools.userPools) groups.set(p.name, []);
  for (const name of serverNames()) {
    if (needle && !name.toLowerCase().includes(needle)) continue;
    for (const g of groupsOf(name, by)) {
      const list = groups.get(g) ?? [];
      list.push(name);
      groups.set(g, list);
    }
  }
  const items: ServerListItem[] = [];
  for (const [group, names] of groups) {
    if (names.length === 0) continue;
    if (sortBy !== 'list') names.sort((a, b) => sortValue(a, sortBy) - sortValue(b, sortBy));
    const label = group === NO_POOL ? 'In no pool' : by === 'subscription' ? providerLabel(group) : group;
    items.push({ kind: 'group', key: `g:${group}`, group, label, count: names.length });
    if (serversView.collapsed[`${by}:${group}`]) continue;
    for (const name of names) items.push({ kind: 'server', key: `s:${group}:${name}`, group, name });
  }
  return items;
}

export function toggleGroup(group: string): void {
  const key = `${serversView.groupBy}:${group}`;
  serversView.collapsed[key] = !serversView.collapsed[key];
}
