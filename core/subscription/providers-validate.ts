import { IssueCollector } from '../config/issues.js';
import { readProxies } from '../config/proxies.js';
import type { ProtocolRegistry } from '../protocol/registry.js';
import type { ProxyConfig } from './types.js';

export type ProxyCheck = { ok: ProxyConfig } | { reason: string };

/**
 * Checks one subscription proxy the way a profile's `proxies:` entry is checked (its protocol's schema),
 * so a server we store or build reads the same as one written by hand. The reason names the field and
 * never repeats a password or uuid: `cipher: expected one of ..., got "rc4"`.
 */
export function checkProxy(registry: ProtocolRegistry, proxy: ProxyConfig): ProxyCheck {
  if (!registry.has(proxy.type)) return { reason: `type ${JSON.stringify(proxy.type)} is not supported yet` };
  const issues = new IssueCollector();
  const { proxies } = readProxies([proxy], registry, issues);
  const valid = proxies[0];
  if (valid && issues.errors.length === 0) return { ok: valid as ProxyConfig };
  const reason = issues.errors.map((e) => `${e.path.replace(/^proxies\[0\]\.?/, '') || 'entry'}: ${e.message}`).join('; ');
  return { reason: reason || 'the entry could not be read' };
}
