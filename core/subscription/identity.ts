import { createHash } from 'node:crypto';
import type { ProxyConfig, UnsupportedEntry } from './types.js';

/**
 * The stable id of a stored server, so the user's weight, enabled flag and probe history survive a
 * refresh. The rule:
 *
 *   id = first 16 hex digits of SHA-256 over JSON [owner, type, server, port, credential]
 *
 * - owner: the subscription id, or `manual` for servers added by hand (the same server in two
 *   subscriptions is two servers, each with its own choices);
 * - type: the Clash type (`ss`, `vmess`...), or the link scheme / YAML type of an unsupported entry;
 * - server, port: as written (host names are compared lower-cased);
 * - credential: the `uuid` when there is one, else `username:password` (`password` alone when there is no
 *   username), else empty.
 * The name is NOT part of it: providers rename nodes ("HK 01 | 1.2x" → "HK 01 | 1.5x") and the node is
 * still the same. An unsupported share link with no readable server is keyed by the link without its
 * `#name` fragment instead.
 * True duplicates (same key twice in one body) get `-2`, `-3`... in body order, so the n-th copy keeps
 * its id as long as the copies before it stay.
 */
export interface IdentityFields {
  type: string;
  server: string;
  port: string;
  credential: string;
}

const OWNER_MANUAL = 'manual';

/** The fields of a proxy or an unsupported entry that say which server it is. */
export function identityFields(entry: ProxyConfig | UnsupportedEntry): IdentityFields {
  if (isUnsupported(entry)) {
    const proxy = entry.proxy;
    if (proxy && (typeof proxy.server === 'string' || typeof proxy.port === 'number')) return fieldsOf(entry.scheme, proxy);
    // A link we cannot read: the link itself names the server; its fragment is only the display name.
    return { type: entry.scheme, server: (entry.link ?? entry.name ?? '').replace(/#.*$/s, ''), port: '', credential: '' };
  }
  return fieldsOf(entry.type, entry);
}

function fieldsOf(type: string, p: Record<string, unknown>): IdentityFields {
  const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');
  const uuid = text(p.uuid);
  const password = text(p.password);
  const username = text(p.username);
  return {
    type,
    server: text(p.server).toLowerCase(),
    port: text(p.port),
    credential: uuid || (username ? `${username}:${password}` : password),
  };
}

function isUnsupported(entry: ProxyConfig | UnsupportedEntry): entry is UnsupportedEntry {
  return (entry as UnsupportedEntry).unsupported === true;
}

/** The id before any duplicate suffix. */
export function serverKey(owner: string | null, fields: IdentityFields): string {
  const material = JSON.stringify([owner ?? OWNER_MANUAL, fields.type, fields.server, fields.port, fields.credential]);
  return createHash('sha256').update(material).digest('hex').slice(0, 16);
}

/** Ids for a whole body, in order: `serverKey`, plus `-2`, `-3`... for repeats of one key. */
export function assignServerIds(owner: string | null, entries: readonly (ProxyConfig | UnsupportedEntry)[]): string[] {
  const seen = new Map<string, number>();
  return entries.map((entry) => {
    const key = serverKey(owner, identityFields(entry));
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    return n === 1 ? key : `${key}-${n}`;
  });
}
