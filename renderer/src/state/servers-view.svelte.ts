import type { LiveStat } from '../lib/api/types.js';
import { live } from './live.svelte.js';
import { pools } from './pools.svelte.js';
import { providerLabel, providers } from './providers.svelte.js';
import { serverStore, type StoredServer } from './server-store.svelte.js';

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
  | { kind: 'server'; key: string; group: string; name: string }
  | { kind: 'off'; key: string; group: string; server: StoredServer };

export const GROUP_ROW_PX = 34;
export const SERVER_ROW_PX = 48;

const NO_POOL = '\u0000none';
/** The group of stored servers the core does not run, listed last so they can be switched back on. */
const OFF = '\u0000off';

/** Server names in profile order (the stats stream lists `proxies:` in order). */
function serverNames(): string[] {
  const key = live.serverNames;
  return key === '' ? [] : key.split('\n');
}

/** What a server sorts by; lower first. Unmeasured and failed servers go last. */
function sortKey(s: LiveStat | undefined, by: SortBy): number {
  if (!s) return Infinity;
  if (by === 'latency') return s.state === 'down' || s.latencyMs === null ? Infinity : s.latencyMs;
  if (by === 'rate') return -(s.upRate + s.downRate);
  if (by === 'score') return s.score === null ? Infinity : -s.score;
  return 0;
}

/** Infinity − Infinity is NaN, which would make the sort order arbitrary. */
const compareKeys = (a: number, b: number): number => (a === b ? 0 : a < b ? -1 : 1);

/**
 * The flat list the virtual list draws: a header per group, then its servers. A server in two pools is
 * listed under each. Recomputed when servers, pools or the arrangement change, and each second only
 * when sorting by a live number. Reactive state is read once up front: 500 servers × a tracked read
 * each would cost more than the sort.
 */
export function buildServerList(): ServerListItem[] {
  const by = serversView.groupBy;
  const sortBy = serversView.sortBy;
  const needle = serversView.filter.trim().toLowerCase();
  const collapsed = serversView.collapsed;
  const poolsOf = pools.poolsOfServer;
  const providerOf = providers.providerOf;
  const stats = sortBy === 'list' ? undefined : live.servers;
  const groups = new Map<string, string[]>();
  if (by === 'pool') for (const p of pools.userPools) groups.set(p.name, []);
  for (const name of serverNames()) {
    if (needle && !name.toLowerCase().includes(needle)) continue;
    const inPools = poolsOf.get(name);
    const memberOf = by === 'subscription' ? [providerOf.get(name) ?? 'default'] : inPools && inPools.length ? inPools : [NO_POOL];
    for (const g of memberOf) {
      const list = groups.get(g) ?? [];
      list.push(name);
      groups.set(g, list);
    }
  }
  const keys = new Map<string, number>();
  if (stats) for (const names of groups.values()) for (const n of names) if (!keys.has(n)) keys.set(n, sortKey(stats.get(n), sortBy));
  const items: ServerListItem[] = [];
  for (const [group, names] of groups) {
    if (names.length === 0) continue;
    if (stats) names.sort((a, b) => compareKeys(keys.get(a)!, keys.get(b)!) || (a < b ? -1 : 1));
    const label = group === NO_POOL ? 'In no pool' : by === 'subscription' ? providerLabel(group) : group;
    items.push({ kind: 'group', key: `g:${group}`, group, label, count: names.length });
    if (collapsed[`${by}:${group}`]) continue;
    for (const name of names) items.push({ kind: 'server', key: `s:${group}:${name}`, group, name });
  }
  const off = serverStore.off.filter((server) => !needle || server.name.toLowerCase().includes(needle));
  if (off.length) {
    items.push({ kind: 'group', key: `g:${OFF}`, group: OFF, label: 'Off: disabled or unsupported', count: off.length });
    if (!collapsed[`${by}:${OFF}`]) for (const server of off) items.push({ kind: 'off', key: `o:${server.id}`, group: OFF, server });
  }
  return items;
}

export function toggleGroup(group: string): void {
  const key = `${serversView.groupBy}:${group}`;
  serversView.collapsed[key] = !serversView.collapsed[key];
}
