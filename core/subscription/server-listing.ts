import type { Store } from '../store/index.js';

/** One stored server as `switchyard servers` shows it: where it is and what the user chose, never its credentials. */
export interface ServerListing {
  id: string;
  name: string;
  type: string;
  server: string | null;
  port: number | null;
  /** The subscription's name; null for a server added by hand. */
  subscription: string | null;
  subscriptionId: string | null;
  enabled: boolean;
  weight: number;
  unsupportedReason: string | null;
  /** The name it runs under in the engine (pools, stats, probes); null while it is not running. */
  outbound: string | null;
}

/**
 * Every stored server, or those of one subscription (null: the manual ones). `outboundOf` is the running
 * engine's name for a server (StoredProviders.outboundName); without an engine every `outbound` is null.
 */
export function listServers(store: Store, subscriptionId?: string | null, outboundOf?: (id: string) => string | undefined): ServerListing[] {
  const names = new Map(store.subscriptions.list().map((s) => [s.id, s.name]));
  const records = subscriptionId === undefined ? store.servers.list() : store.servers.listForSubscription(subscriptionId);
  return records.map((s) => ({
    id: s.id,
    name: s.name,
    type: s.type,
    server: typeof s.config.server === 'string' ? s.config.server : null,
    port: typeof s.config.port === 'number' ? s.config.port : null,
    subscription: s.subscriptionId === null ? null : (names.get(s.subscriptionId) ?? s.subscriptionId),
    subscriptionId: s.subscriptionId,
    enabled: s.enabled,
    weight: s.weight,
    unsupportedReason: s.unsupportedReason,
    outbound: outboundOf?.(s.id) ?? null,
  }));
}

/** A plain table, one server a line, columns padded to their widest cell. */
export function formatServerTable(servers: readonly ServerListing[]): string {
  if (servers.length === 0) return 'no servers stored\n';
  const header = ['NAME', 'TYPE', 'ADDRESS', 'SUBSCRIPTION', 'ENABLED', 'WEIGHT', 'UNSUPPORTED'];
  const rows = servers.map((s) => [
    s.name,
    s.type,
    s.server === null ? '-' : `${s.server.includes(':') ? `[${s.server}]` : s.server}:${s.port ?? '-'}`,
    s.subscription ?? '(manual)',
    s.enabled ? 'yes' : 'no',
    String(s.weight),
    s.unsupportedReason ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[header, ...rows].map(line).join('\n')}\n`;
}
