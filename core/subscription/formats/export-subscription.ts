import type { LinkProxy, ProxyConfig, UnsupportedEntry } from '../types.js';
import { SubscriptionError } from '../errors.js';
import { encodeBase64 } from '../base64.js';
import { exportLink } from '../links/index.js';
import type { Loose } from '../links/loose.js';
import type { SubscriptionFormat } from './collector.js';
import { writeClashYaml } from './clash-yaml.js';
import { writeSip008 } from './sip008.js';

export type ExportEntry = ProxyConfig | LinkProxy | UnsupportedEntry;

export interface ExportOptions {
  /**
   * Called for each entry the format cannot express (a vless proxy in SIP008, an unsupported link in
   * Clash YAML), which is then left out. Without it such an entry fails the export with UNEXPORTABLE_PROXY.
   */
  onSkip?: (entry: ExportEntry, reason: string) => void;
}

/**
 * Writes a subscription body that parseSubscription reads back to the same proxies. Unsupported
 * entries go out as they came in: their link in link lists, their YAML entry in Clash YAML.
 */
export function exportSubscription(entries: readonly ExportEntry[], format: SubscriptionFormat, options: ExportOptions = {}): string {
  const kept: { entry: ExportEntry; out: string | Loose }[] = [];
  for (const entry of entries) {
    try {
      kept.push({ entry, out: convert(entry, format) });
    } catch (e) {
      if (!(e instanceof SubscriptionError) || e.code !== 'UNEXPORTABLE_PROXY' || !options.onSkip) throw e;
      options.onSkip(entry, e.message);
    }
  }
  switch (format) {
    case 'plain':
      return kept.map((k) => `${k.out as string}\n`).join('');
    case 'base64':
      return encodeBase64(kept.map((k) => k.out as string).join('\n'));
    case 'clash':
      return writeClashYaml(kept.map((k) => k.out as Loose));
    case 'sip008':
      return writeSip008(kept.map((k) => k.out as Loose));
  }
}

function convert(entry: ExportEntry, format: SubscriptionFormat): string | Loose {
  if (format === 'plain' || format === 'base64') return exportLink(entry);
  const kept = 'unsupported' in entry && entry.unsupported === true ? (entry as UnsupportedEntry) : undefined;
  const label = kept ? (kept.name ?? kept.scheme) : String((entry as Loose).name);
  if (format === 'clash') {
    if (!kept) return entry as Loose;
    if (kept.proxy && typeof kept.proxy.type === 'string' && kept.proxy.server !== undefined) return kept.proxy;
    throw new SubscriptionError('UNEXPORTABLE_PROXY', `${label}: ${kept.reason}; a Clash profile cannot hold it`);
  }
  if (kept || (entry as Loose).type !== 'ss') {
    throw new SubscriptionError('UNEXPORTABLE_PROXY', `${label}: SIP008 holds only shadowsocks servers`);
  }
  return entry as Loose;
}
