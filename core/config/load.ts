import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, type YAMLError } from 'yaml';
import { ConfigError } from '../adapter/errors.js';
import type { ProtocolRegistry } from '../protocol/registry.js';
import { readGroups } from './groups.js';
import { IssueCollector, SourcePositions } from './issues.js';
import { readProviders } from './providers.js';
import { readProxies } from './proxies.js';
import { checkReferences } from './references.js';
import { readRules } from './rules.js';
import { readSettings, SEPARATE_PORT_KEYS, SETTINGS_KEYS } from './settings.js';
import { isMapping, kindMessage, setOwn, type Mapping } from './shape.js';
import type { LoadResult } from './types.js';

const SECTION_KEYS = ['proxies', 'proxy-providers', 'proxy-groups', 'rules'];
const KNOWN_TOP_KEYS = new Set<string>([...SETTINGS_KEYS, ...SECTION_KEYS]);
const TOP_WHAT = 'a mapping of settings (mixed-port, proxies, proxy-groups, rules...)';

/**
 * Reads a Clash-compatible YAML profile into plain data (DESIGN.md section 2). Every problem found is
 * reported together in one ConfigError; unknown keys are kept and returned as warnings instead.
 */
export function loadProfile(text: string, registry: ProtocolRegistry): LoadResult {
  const lines = new LineCounter();
  // Clash profiles lean on YAML 1.1 merge keys (`<<: *common`).
  const doc = parseDocument(text, { lineCounter: lines, merge: true, uniqueKeys: true });
  if (doc.errors.length) throw new ConfigError(doc.errors.map(syntaxIssue));

  let top: unknown;
  try {
    top = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new ConfigError([{ path: '', message: `YAML could not be read: ${(err as Error).message}` }]);
  }
  if (top === null || top === undefined) {
    throw new ConfigError([{ path: '', message: `the profile is empty; expected ${TOP_WHAT}` }]);
  }
  const issues = new IssueCollector(new SourcePositions(doc, lines));
  if (!isMapping(top)) {
    issues.error([], kindMessage(`${TOP_WHAT} at the top level`, top));
    throw new ConfigError(issues.errors);
  }

  const { known, extra } = splitTop(top, issues);
  const settings = readSettings({ ...extra, ...known }, issues);
  const proxies = readProxies(sectionList(known, 'proxies', 'a list of proxies', issues), registry, issues);
  const providers = readProviders(sectionMapping(known, 'proxy-providers', 'a mapping of provider names to settings', issues), issues);
  const groups = readGroups(sectionList(known, 'proxy-groups', 'a list of proxy groups', issues), issues);
  const rules = readRules(sectionList(known, 'rules', 'a list of rules like "DOMAIN-SUFFIX,example.com,DIRECT"', issues), issues);
  checkReferences(
    { proxyNames: proxies.names, groupNames: groups.names, groups: groups.groups, providerNames: Object.keys(providers), rules },
    issues,
  );

  if (issues.errors.length || !settings) throw new ConfigError(issues.errors);
  return {
    profile: {
      ...settings,
      proxies: proxies.proxies,
      proxyProviders: providers,
      proxyGroups: groups.groups.map((g) => g.group),
      rules: rules.map((r) => r.rule),
      extra,
    },
    warnings: issues.warnings,
  };
}

/** Reads and loads a profile file; an unreadable file is a ConfigError too, so callers handle one kind. */
export async function loadProfileFile(path: string, registry: ProtocolRegistry): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ConfigError([{ path: '', message: `cannot read the profile ${JSON.stringify(path)}: ${e.code ?? e.message}` }]);
  }
  return loadProfile(text, registry);
}

/** The library's message ends with a snippet of the source, which could hold a password: keep only the reason. */
function syntaxIssue(err: YAMLError): { path: string; message: string } {
  const reason = err.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '');
  const pos = err.linePos?.[0];
  return { path: '', message: `YAML syntax error: ${reason}${pos ? ` (line ${pos.line}, column ${pos.col})` : ''}` };
}

/** Separates what we read from what we only keep; empty known keys (`proxies:`) count as absent. */
function splitTop(top: Mapping, issues: IssueCollector): { known: Mapping; extra: Mapping } {
  const known: Mapping = {};
  const extra: Mapping = {};
  for (const [key, value] of Object.entries(top)) {
    if (KNOWN_TOP_KEYS.has(key)) {
      if (value !== null) setOwn(known, key, value);
      continue;
    }
    setOwn(extra, key, value);
    // The separate ports get their own hint from readSettings.
    if (!(SEPARATE_PORT_KEYS as readonly string[]).includes(key)) issues.unknownKey([], key);
  }
  return { known, extra };
}

function sectionList(top: Mapping, key: string, what: string, issues: IssueCollector): unknown[] {
  const value = top[key];
  if (value === undefined) return [];
  if (Array.isArray(value)) return value;
  issues.error([key], kindMessage(what, value));
  return [];
}

function sectionMapping(top: Mapping, key: string, what: string, issues: IssueCollector): Mapping {
  const value = top[key];
  if (value === undefined) return {};
  if (isMapping(value)) return value;
  issues.error([key], kindMessage(what, value));
  return {};
}
