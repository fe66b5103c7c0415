import type { ServerInput } from '../store/servers.js';
import type { ProtocolRegistry } from '../protocol/registry.js';
import { decodeBase64 } from './base64.js';
import type { ParsedSubscription } from './formats/collector.js';
import { assignServerIds } from './identity.js';
import { checkProxy } from './providers-validate.js';
import type { ProxyConfig, UnsupportedEntry } from './types.js';

/**
 * Turns a parsed body into rows for the `servers` table, with stable ids (identity.ts). Unsupported
 * entries are kept with their reason; with a registry, a proxy of a type we run whose fields its protocol
 * refuses (an unknown cipher) is kept the same way instead of failing later at dial time.
 */
export function serverInputs(owner: string | null, parsed: ParsedSubscription, registry?: ProtocolRegistry): ServerInput[] {
  const entries: (ProxyConfig | UnsupportedEntry)[] = [...parsed.proxies, ...parsed.unsupported];
  const ids = assignServerIds(owner, entries);
  return entries.map((entry, i): ServerInput => {
    const id = ids[i]!;
    if ((entry as UnsupportedEntry).unsupported === true) {
      const u = entry as UnsupportedEntry;
      const name = u.name ?? `${u.scheme} server ${i + 1}`;
      return { id, name, type: u.scheme, config: u.proxy ?? { name, type: u.scheme }, link: u.link ?? null, unsupportedReason: u.reason };
    }
    const proxy = entry as ProxyConfig;
    if (!registry) return { id, name: proxy.name, type: proxy.type, config: proxy };
    const check = checkProxy(registry, proxy);
    if ('ok' in check) return { id, name: proxy.name, type: proxy.type, config: check.ok };
    return { id, name: proxy.name, type: proxy.type, config: proxy, unsupportedReason: check.reason };
  });
}

/**
 * A body whose last entry cannot be read was most likely cut off on the way (a half-written file behind
 * a CDN, a proxy that dropped the tail), even when the entries before it read fine. Taking it would drop
 * every server after the cut, so a refresh refuses it and keeps the servers it had. Returns why, or
 * undefined for a body that ends well.
 */
export function cutOffReason(body: string | Uint8Array, parsed: ParsedSubscription): string | undefined {
  if (parsed.errors.length === 0) return undefined;
  let lastIssue;
  if (parsed.format === 'clash' || parsed.format === 'sip008') {
    const lastEntry = parsed.proxies.length + parsed.unsupported.length + parsed.errors.length - 1;
    lastIssue = parsed.errors.find((e) => e.entry === lastEntry);
  } else {
    const lastLine = lineCount(listText(body, parsed.format));
    lastIssue = parsed.errors.find((e) => e.line === lastLine);
  }
  return lastIssue && `the body looks cut off: its last entry could not be read (${lastIssue.message})`;
}

/** The text the link-list reader numbered its lines in (parse-subscription.ts): trimmed, base64 decoded. */
function listText(body: string | Uint8Array, format: ParsedSubscription['format']): string {
  const text = (typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')).replace(/^\uFEFF/, '').trim();
  if (format !== 'base64') return text;
  return decodeBase64(text)?.toString('utf8') ?? '';
}

function lineCount(text: string): number {
  const trimmed = text.trimEnd();
  if (trimmed === '') return 0;
  let lines = 1;
  for (const m of trimmed.matchAll(/\r\n|\r|\n/g)) if (m) lines++;
  return lines;
}
