import type { ProxyConfig, UnsupportedEntry } from '../types.js';
import type { SubscriptionIssue } from '../errors.js';
import { createNameDeduplicator } from './unique-names.js';

export type SubscriptionFormat = 'base64' | 'plain' | 'clash' | 'sip008';

export interface ParsedSubscription {
  format: SubscriptionFormat;
  proxies: ProxyConfig[];
  unsupported: UnsupportedEntry[];
  errors: SubscriptionIssue[];
}

/** Gathers what a body holds in body order, giving repeated names their ` 2`, ` 3` suffixes as it goes. */
export class SubscriptionCollector {
  readonly proxies: ProxyConfig[] = [];
  readonly unsupported: UnsupportedEntry[] = [];
  readonly errors: SubscriptionIssue[] = [];
  private readonly unique = createNameDeduplicator();

  addProxy(proxy: ProxyConfig): void {
    const name = this.unique(proxy.name);
    this.proxies.push(name === proxy.name ? proxy : { ...proxy, name });
  }

  addUnsupported(entry: UnsupportedEntry): void {
    if (entry.name === undefined) {
      this.unsupported.push(entry);
      return;
    }
    const name = this.unique(entry.name);
    this.unsupported.push(name === entry.name ? entry : { ...entry, name });
  }

  /** `where` is the location prefix shown before the message: `line 3`, `servers[2]`. */
  addIssue(code: SubscriptionIssue['code'], where: string, message: string, at: { line?: number; entry?: number }): void {
    this.errors.push({ code, message: `${where}: ${message}`, ...at });
  }

  get usable(): number {
    return this.proxies.length + this.unsupported.length;
  }

  result(format: SubscriptionFormat): ParsedSubscription {
    return { format, proxies: this.proxies, unsupported: this.unsupported, errors: this.errors };
  }
}
