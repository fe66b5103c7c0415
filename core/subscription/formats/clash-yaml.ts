import { stringify } from 'yaml';
import { load as loadYaml, type YAMLException } from 'js-yaml';
import { describe } from '../../config/fields.js';
import { SUPPORTED_TYPES, type ProxyConfig } from '../types.js';
import { SubscriptionError } from '../errors.js';
import { type Loose, obj } from '../links/loose.js';
import type { SubscriptionCollector } from './collector.js';

/** A top-level `proxies:` key; `proxy-groups`, `rules` and the rest are ignored. */
export const looksLikeClashYaml = (text: string): boolean => /^proxies[ \t]*:/m.test(text);

/** A Clash profile without `proxies:` (only providers, groups, rules). */
export const looksLikeClashProfile = (text: string): boolean =>
  /^(proxy-providers|proxy-groups|rules|mixed-port|port|socks-port)[ \t]*:/m.test(text);

/** One `proxies:` item as plain data, with the line it starts on when known. */
interface Item {
  value?: unknown;
  error?: string;
  line?: number;
}

/**
 * Keeps each `proxies:` entry as-is; entries of a type we run get a light check (name, server, port),
 * entries of other types are kept as unsupported with the entry itself.
 */
export function readClashYaml(text: string, into: SubscriptionCollector): void {
  readItems(text).forEach((item, i) => {
    const where = item.line === undefined ? `proxies[${i}]` : `proxies[${i}] (line ${item.line})`;
    const entry = obj(item.value);
    const problem = item.error ?? (entry ? checkEntry(entry) : `expected a mapping, got ${describe(item.value)}`);
    if (problem !== undefined) into.addIssue('BAD_ENTRY', where, problem, { line: item.line, entry: i });
    else if (SUPPORTED_TYPES.includes(entry!.type as string)) into.addProxy(entry as ProxyConfig);
    else {
      const type = entry!.type as string;
      into.addUnsupported({ unsupported: true, scheme: type, proxy: entry!, name: entry!.name as string, reason: `type ${JSON.stringify(type)} is not supported yet` });
    }
  });
}

/**
 * Reads only the top-level `proxies:` block when it stands alone — provider profiles often carry
 * thousands of rules — and the whole file when the block leans on the rest (an anchor defined elsewhere).
 * Subscription bodies are data, often thousands of entries, so they are read with js-yaml, an order of
 * magnitude faster than the `yaml` library the profile loader uses for its comments and positions
 * (5,000 entries: ~0.1 s against ~1.5 s here).
 */
function readItems(text: string): Item[] {
  const section = proxiesSection(text);
  if (section) {
    const alone = parseYaml(section.text, section.firstLine - 1);
    if (alone.syntaxError === undefined) return alone.items;
  }
  const whole = parseYaml(text, 0);
  if (whole.syntaxError) throw new SubscriptionError('UNRECOGNISED_SUBSCRIPTION', whole.syntaxError);
  return whole.items;
}

function parseYaml(text: string, lineOffset: number): { items: Item[]; syntaxError?: string } {
  let doc: unknown;
  try {
    // The default schema has YAML 1.1 merge keys (`<<: *defaults`), which Clash profiles use to share fields.
    doc = loadYaml(text, { json: true });
  } catch (e) {
    const err = e as YAMLException;
    const line = err.mark ? err.mark.line + 1 + lineOffset : undefined;
    return { items: [], syntaxError: `Clash YAML with an error${line === undefined ? '' : ` at line ${line}`}: ${err.reason ?? err.message}` };
  }
  const list = obj(doc)?.proxies;
  if (list === undefined || list === null) return { items: [] };
  if (!Array.isArray(list)) return { items: [], syntaxError: 'Clash YAML whose proxies: is not a list' };
  const lines = itemLines(text, list.length);
  return { items: list.map((value, i): Item => ({ value, line: lines?.[i] === undefined ? undefined : lines[i]! + lineOffset })) };
}

/**
 * The line each `proxies:` item starts on, for messages: the lines that open a sequence entry at the
 * indentation of the first one. Only trusted when that finds exactly one line per parsed item.
 */
function itemLines(text: string, count: number): number[] | undefined {
  const lines = text.split('\n');
  const header = lines.findIndex((l) => /^proxies[ \t]*:/.test(l));
  if (header < 0) return undefined;
  let indent: string | undefined;
  const found: number[] = [];
  for (let i = header + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^\S/.test(line) && !line.startsWith('-')) break;
    const m = /^([ \t]*)- /.exec(line) ?? /^([ \t]*)-$/.exec(line);
    if (!m) continue;
    indent ??= m[1];
    if (m[1] === indent) found.push(i + 1);
  }
  return found.length === count ? found : undefined;
}

/** From `proxies:` to the next line that starts a top-level key; `body` is what follows a bare `proxies:` line. */
function proxiesSection(text: string): { text: string; body?: string; firstLine: number } | undefined {
  const start = /^proxies[ \t]*:/m.exec(text);
  if (!start) return undefined;
  const next = /\n(?=[^\s#-])/g;
  next.lastIndex = start.index;
  const end = next.exec(text);
  const sectionText = text.slice(start.index, end ? end.index + 1 : text.length);
  let firstLine = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < start.index; i = text.indexOf('\n', i + 1)) firstLine++;
  const header = /^proxies[ \t]*:[ \t]*\r?\n/.exec(sectionText);
  return { text: sectionText, body: header ? sectionText.slice(header[0].length) : undefined, firstLine };
}

/** What is wrong with an entry, or undefined. Normalises a numeric name or a "443" port in place. */
function checkEntry(e: Loose): string | undefined {
  if (typeof e.name === 'number') e.name = String(e.name);
  if (typeof e.name !== 'string' || e.name.trim() === '') return `name: expected a non-empty name, got ${describe(e.name)}`;
  if (typeof e.type !== 'string' || e.type === '') return `type: expected a proxy type, got ${describe(e.type)}`;
  if (!SUPPORTED_TYPES.includes(e.type)) return undefined;
  if (typeof e.server !== 'string' || e.server === '') return `server: expected a host name or IP address, got ${describe(e.server)}`;
  if (typeof e.port === 'string' && /^\d{1,5}$/.test(e.port.trim())) e.port = Number(e.port);
  if (typeof e.port !== 'number' || !Number.isInteger(e.port) || e.port < 1 || e.port > 65535) {
    return `port: expected an integer 1-65535, got ${describe(e.port)}`;
  }
  return undefined;
}

/** One flow mapping per proxy, the way providers write it (and the shape the fast reader takes). */
export function writeClashYaml(proxies: readonly Loose[]): string {
  const lines = proxies.map((p) => `  - ${stringify(p, { collectionStyle: 'flow', lineWidth: 0 }).trimEnd()}\n`);
  return `proxies:\n${lines.join('')}`;
}
