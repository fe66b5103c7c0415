import type { ProtocolRegistry } from '../protocol/registry.js';
import { describe } from './fields.js';
import type { IssueCollector, Path } from './issues.js';
import { isMapping, kindMessage, knownKeys, splitKnown } from './shape.js';
import type { ProxyConfig } from './types.js';

/** A name declared somewhere in the profile, with where, for duplicate and reference checks. */
export interface NamedEntry {
  name: string;
  path: Path;
}

/**
 * Validates each `proxies:` entry against the schema of its `type` in the registry. Names are collected
 * even from entries that are otherwise broken, so one bad port does not also cause "not found" errors.
 */
export function readProxies(
  list: readonly unknown[],
  registry: ProtocolRegistry,
  issues: IssueCollector,
): { proxies: ProxyConfig[]; names: NamedEntry[] } {
  const proxies: ProxyConfig[] = [];
  const names: NamedEntry[] = [];
  list.forEach((entry, i) => {
    const path: Path = ['proxies', i];
    if (!isMapping(entry)) {
      issues.error(path, kindMessage('a mapping with name, type, server and port', entry));
      return;
    }
    if (typeof entry.name === 'string' && entry.name) names.push({ name: entry.name, path: [...path, 'name'] });

    const type = entry.type;
    if (typeof type !== 'string' || !registry.has(type)) {
      issues.error([...path, 'type'], `expected a proxy type (one of ${registry.types().join(', ')}), got ${describe(type)}`);
      return;
    }
    const schema = registry.get(type).schema;
    const known = knownKeys(schema);
    const { known: input, unknown } = known ? splitKnown(entry, known) : { known: entry, unknown: {} };
    for (const key of Object.keys(unknown)) issues.unknownKey(path, key);

    const parsed = schema.safeParse(input);
    if (!parsed.success) {
      issues.zod(path, parsed.error);
      return;
    }
    proxies.push({ ...(parsed.data as ProxyConfig), ...unknown });
  });
  return { proxies, names };
}
