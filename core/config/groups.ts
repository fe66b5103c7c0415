import { z } from 'zod';
import { bool, httpUrl, int, nonEmptyString, oneOf, stringList } from './fields.js';
import { formatPath, type IssueCollector, type Path } from './issues.js';
import type { NamedEntry } from './proxies.js';
import { compact, dropNulls, isMapping, kindMessage, splitKnown, type Mapping } from './shape.js';
import { GROUP_TYPES, STRATEGY_NAMES, type GroupConfig } from './types.js';

const groupSchema = z.object({
  name: nonEmptyString('a non-empty name'),
  type: oneOf(GROUP_TYPES),
  proxies: stringList('a list of proxy or group names').optional(),
  use: stringList('a list of provider names').optional(),
  'include-all-providers': bool().optional(),
  backup: stringList('a list of proxy or group names').optional(),
  strategy: oneOf(STRATEGY_NAMES).optional(),
  url: httpUrl().optional(),
  interval: int(0, 604800).optional(),
  timeout: int(1, 600000).optional(),
  tolerance: int(0, 60000).optional(),
  lazy: bool().optional(),
  'max-failed-times': int(1, 1000).optional(),
  'fail-timeout': int(1, 86400).optional(),
  'idle-timeout': int(0, 604800).optional(),
});

const GROUP_KEYS = Object.keys(groupSchema.shape);

/** A group that passed its own checks, with where it was, for the reference checks. */
export interface PlacedGroup {
  group: GroupConfig;
  path: Path;
}

/** Reads `proxy-groups:`; references between names are checked afterwards (references.ts). */
export function readGroups(list: readonly unknown[], issues: IssueCollector): { groups: PlacedGroup[]; names: NamedEntry[] } {
  const groups: PlacedGroup[] = [];
  const names: NamedEntry[] = [];
  list.forEach((entry, i) => {
    const path: Path = ['proxy-groups', i];
    if (!isMapping(entry)) {
      issues.error(path, kindMessage('a mapping with name, type and proxies', entry));
      return;
    }
    if (typeof entry.name === 'string' && entry.name) names.push({ name: entry.name, path: [...path, 'name'] });
    const { known, unknown } = splitKnown(dropNulls(entry), GROUP_KEYS);
    for (const key of Object.keys(unknown)) issues.unknownKey(path, key);

    const parsed = groupSchema.safeParse(known);
    if (!parsed.success) {
      issues.zod(path, parsed.error);
      return;
    }
    const g = parsed.data;
    const group: GroupConfig = compact({
      name: g.name,
      type: g.type,
      proxies: g.proxies ?? [],
      use: g.use ?? [],
      includeAllProviders: g['include-all-providers'],
      backup: g.backup ?? [],
      strategy: g.type === 'load-balance' ? (g.strategy ?? 'round-robin') : undefined,
      url: g.url,
      interval: g.interval,
      timeout: g.timeout,
      tolerance: g.tolerance,
      lazy: g.lazy,
      maxFailedTimes: g['max-failed-times'],
      failTimeout: g['fail-timeout'],
      idleTimeout: g['idle-timeout'],
    });
    // Clash ignores a strategy on other group types; keep it for export but say it does nothing.
    if (g.strategy !== undefined && g.type !== 'load-balance') {
      issues.warn(`ignored strategy at ${formatPath(path)}: only load-balance groups use one (${g.type} has its own)`);
      unknown.strategy = g.strategy;
    }
    if (Object.keys(unknown).length) group.extra = unknown;
    if (group.proxies.length === 0 && group.use.length === 0 && !group.includeAllProviders) {
      issues.error(path, 'expected at least one member in proxies or use (or include-all-providers: true), got none');
      return;
    }
    groups.push({ group, path });
  });
  return { groups, names };
}

export function writeGroup(g: GroupConfig): Mapping {
  const lists: Mapping = {};
  if (g.proxies.length) lists.proxies = g.proxies;
  if (g.use.length) lists.use = g.use;
  if (g.includeAllProviders !== undefined) lists['include-all-providers'] = g.includeAllProviders;
  if (g.backup.length) lists.backup = g.backup;
  const settings = compact({
    strategy: g.strategy,
    url: g.url,
    interval: g.interval,
    timeout: g.timeout,
    tolerance: g.tolerance,
    lazy: g.lazy,
    'max-failed-times': g.maxFailedTimes,
    'fail-timeout': g.failTimeout,
    'idle-timeout': g.idleTimeout,
  });
  // Spread, not Object.assign: a kept key named __proto__ must stay a plain key.
  return { name: g.name, type: g.type, ...lists, ...settings, ...g.extra };
}
