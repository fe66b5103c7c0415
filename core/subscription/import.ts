import fs from 'node:fs';
import type { ProtocolRegistry } from '../protocol/registry.js';
import type { Store } from '../store/index.js';
import { SubscriptionError, type SubscriptionIssue } from './errors.js';
import { FETCH_DEFAULTS } from './fetch.js';
import type { ParsedSubscription } from './formats/collector.js';
import { parseSubscription } from './formats/parse-subscription.js';
import { parseLink } from './links/index.js';
import type { RefreshResult, SubscriptionService } from './refresh.js';
import { serverInputs } from './refresh-servers.js';

/**
 * What `switchyard import <source>` was given:
 * - an http(s) URL with a path or a query (`https://sub.example.com/api/v1/client/subscribe?token=...`) is
 *   a subscription: stored, fetched, refreshed later;
 * - a file that exists is read as a subscription body (base64, links, Clash YAML or a whole Clash profile,
 *   SIP008) and its servers are added as manual servers;
 * - anything else is a share link (`ss://`, `vmess://`...; `http://user:pass@host:port` too, which is why a
 *   bare `http://host:port` without a path counts as a link, not a subscription), added as a manual server.
 */
export type ImportSource = { kind: 'url'; url: string } | { kind: 'file'; path: string } | { kind: 'link'; link: string };

export function classifySource(input: string): ImportSource {
  const text = input.trim();
  if (/^https?:\/\//i.test(text) && URL.canParse(text)) {
    const url = new URL(text);
    if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '') return { kind: 'url', url: text };
  }
  if (fs.existsSync(text) && fs.statSync(text).isFile()) return { kind: 'file', path: text };
  return { kind: 'link', link: text };
}

export interface ImportReport {
  kind: ImportSource['kind'];
  /** For a URL: the subscription stored (or found by its URL and refreshed). */
  subscription?: { id: string; name: string; created: boolean };
  servers: number;
  added: number;
  unsupported: { name: string; type: string; reason: string }[];
  /** Lines or entries that could not be read. */
  issues: SubscriptionIssue[];
  /** Why a subscription's fetch failed (it stays stored and is retried on its next refresh). */
  error?: string;
}

export interface ImportOptions {
  /** The subscription's name, or the server's for a share link. */
  name?: string;
  registry?: ProtocolRegistry;
}

/** Stores what `input` holds; throws SubscriptionError for a file or link that holds nothing usable. */
export async function importSource(service: SubscriptionService, store: Store, input: string, options: ImportOptions = {}): Promise<ImportReport> {
  const source = classifySource(input);
  switch (source.kind) {
    case 'url':
      return importUrl(service, store, source.url, options.name);
    case 'file': {
      if (fs.statSync(source.path).size > FETCH_DEFAULTS.maxBytes) throw new SubscriptionError('UNRECOGNISED_SUBSCRIPTION', `${source.path}: larger than a subscription can be`);
      return storeManual(store, 'file', parseSubscription(fs.readFileSync(source.path)), options.registry);
    }
    case 'link':
      return storeManual(store, 'link', parseOneLink(source.link, options.name), options.registry);
  }
}

async function importUrl(service: SubscriptionService, store: Store, url: string, name: string | undefined): Promise<ImportReport> {
  const existing = store.subscriptions.findByUrl(url);
  let id: string;
  if (existing) {
    id = existing.id;
    if (name) store.subscriptions.update(id, { name });
  } else {
    id = store.subscriptions.add({ name: name ?? new URL(url).hostname, url }).id;
  }
  const result = (await service.refresh(id)) as RefreshResult;
  // A new subscription without a chosen name takes the title its server gives.
  const title = store.subscriptions.get(id)?.title;
  if (!existing && !name && title) store.subscriptions.update(id, { name: title });
  const record = store.subscriptions.get(id)!;
  const report: ImportReport = {
    kind: 'url',
    subscription: { id, name: record.name, created: !existing },
    servers: 0,
    added: 0,
    unsupported: [],
    issues: [],
  };
  if (!result.ok) return { ...report, error: result.error };
  return { ...report, servers: result.servers, added: result.added, unsupported: result.unsupported, issues: result.issues };
}

function parseOneLink(link: string, name: string | undefined): ParsedSubscription {
  const r = parseLink(link);
  if ('error' in r) throw r.error;
  if ('ok' in r) return { format: 'plain', proxies: [name ? { ...r.ok, name } : r.ok], unsupported: [], errors: [] };
  return { format: 'plain', proxies: [], unsupported: [name ? { ...r.unsupported, name } : r.unsupported], errors: [] };
}

function storeManual(store: Store, kind: 'file' | 'link', parsed: ParsedSubscription, registry: ProtocolRegistry | undefined): ImportReport {
  const inputs = serverInputs(null, parsed, registry);
  const before = new Set(store.servers.listForSubscription(null).map((s) => s.id));
  store.servers.addManual(inputs);
  return {
    kind,
    servers: inputs.length,
    added: inputs.filter((s) => !before.has(s.id)).length,
    unsupported: inputs.filter((s) => s.unsupportedReason).map((s) => ({ name: s.name, type: s.type, reason: s.unsupportedReason! })),
    issues: parsed.errors,
  };
}

/** The lines `switchyard import` prints. */
export function formatImportReport(report: ImportReport): string {
  const lines: string[] = [];
  const sub = report.subscription;
  if (sub) lines.push(`subscription "${sub.name}" ${sub.created ? 'added' : 'already stored, refreshed'} (id ${sub.id})`);
  if (report.error) {
    lines.push(`fetch failed: ${report.error}`);
    lines.push(sub?.created ? 'the subscription is stored and will be fetched again on its next refresh' : 'its stored servers were kept');
    return `${lines.join('\n')}\n`;
  }
  const supported = report.servers - report.unsupported.length;
  const from = report.kind === 'url' ? '' : report.kind === 'file' ? ' from the file, as manual servers' : ' as a manual server';
  lines.push(`${report.servers} server${report.servers === 1 ? '' : 's'}${from}: ${supported} supported, ${report.unsupported.length} unsupported; ${report.added} new`);
  for (const u of report.unsupported) lines.push(`  unsupported: ${u.name} (${u.type}): ${u.reason}`);
  for (const issue of report.issues) lines.push(`  skipped: ${issue.message}`);
  return `${lines.join('\n')}\n`;
}
