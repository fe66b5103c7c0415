import { describe } from './fields.js';
import { formatPath, type IssueCollector, type Path } from './issues.js';
import type { PlacedGroup } from './groups.js';
import type { NamedEntry } from './proxies.js';
import type { PlacedRule } from './rules.js';

/** Names nobody may declare: the built-in outbounds, and REJECT-DROP which we read as REJECT. */
const RESERVED = ['DIRECT', 'REJECT', 'REJECT-DROP'];
const TARGET_WHAT = 'the name of a proxy, a group, DIRECT or REJECT';

export interface ReferenceInput {
  proxyNames: readonly NamedEntry[];
  groupNames: readonly NamedEntry[];
  groups: readonly PlacedGroup[];
  providerNames: readonly string[];
  rules: readonly PlacedRule[];
}

/**
 * Every name is unique and every reference resolves: group members, providers, rule targets; groups do not
 * contain themselves. REJECT-DROP is rewritten to REJECT in place, with a notice.
 */
export function checkReferences(input: ReferenceInput, issues: IssueCollector): void {
  const declared = checkUniqueNames([...input.proxyNames, ...input.groupNames], issues);
  const resolves = (name: string) => declared.has(name) || name === 'DIRECT' || name === 'REJECT';

  const toReject = (name: string, path: Path) => {
    if (name !== 'REJECT-DROP') return name;
    issues.warn(`${formatPath(path)}: REJECT-DROP is treated as REJECT`);
    return 'REJECT';
  };

  for (const { group, path } of input.groups) {
    for (const field of ['proxies', 'backup'] as const) {
      group[field] = group[field].map((member, j) => {
        const at = [...path, field, j];
        const name = toReject(member, at);
        if (!resolves(name)) issues.error(at, `expected ${TARGET_WHAT}, got ${describe(member)}`);
        return name;
      });
    }
    group.use.forEach((provider, j) => {
      if (input.providerNames.includes(provider)) return;
      const none = input.providerNames.length === 0 ? ' (no proxy-providers are defined)' : '';
      issues.error([...path, 'use', j], `expected the name of a proxy provider, got ${describe(provider)}${none}`);
    });
  }

  for (const { rule, path } of input.rules) {
    rule.target = toReject(rule.target, path);
    if (!resolves(rule.target)) issues.error(path, `expected a target that is ${TARGET_WHAT}, got ${describe(rule.target)}`);
  }

  checkGroupCycles(input.groups, issues);
}

/** Reports duplicates and reserved names; returns every declared name. */
function checkUniqueNames(entries: readonly NamedEntry[], issues: IssueCollector): Set<string> {
  const firstAt = new Map<string, Path>();
  for (const { name, path } of entries) {
    if (RESERVED.includes(name)) {
      issues.error(path, `expected a name other than the built-in ${RESERVED.join(', ')}, got ${describe(name)}`);
      continue;
    }
    const first = firstAt.get(name);
    if (first) issues.error(path, `expected a unique name, got ${describe(name)} which ${formatPath(first)} already uses`);
    else firstAt.set(name, path);
  }
  return new Set(firstAt.keys());
}

/** Depth-first search over group → group edges (proxies and backup); a back edge closes a cycle. */
function checkGroupCycles(groups: readonly PlacedGroup[], issues: IssueCollector): void {
  const byName = new Map<string, PlacedGroup>();
  for (const g of groups) if (!byName.has(g.group.name)) byName.set(g.group.name, g);
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];

  const visit = (placed: PlacedGroup) => {
    const { group, path } = placed;
    state.set(group.name, 'visiting');
    stack.push(group.name);
    for (const field of ['proxies', 'backup'] as const) {
      group[field].forEach((member, j) => {
        const next = byName.get(member);
        if (!next) return;
        const s = state.get(member);
        if (s === 'visiting') {
          const cycle = [...stack.slice(stack.indexOf(member)), member].join(' -> ');
          issues.error([...path, field, j], `expected groups not to contain themselves, got the cycle ${cycle}`);
        } else if (s === undefined) visit(next);
      });
    }
    stack.pop();
    state.set(group.name, 'done');
  };

  for (const g of byName.values()) if (!state.has(g.group.name)) visit(g);
}
