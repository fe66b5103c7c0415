/**
 * The matching half of the `rules` scenario, run in a child of its own: 10,000 rules of every type the
 * engine matches, 100,000 connections, each timed alone from building its match input to the answer.
 * Every answer is checked against a plain linear scan of the same rules.
 */
import { parseRule } from '../../core/config/rules.js';
import { parseIp } from '../../core/route/ip-address.js';
import { matchInput, setProcess } from '../../core/route/match-input.js';
import { NO_RULE } from '../../core/route/cidr-trie.js';
import { RuleSet } from '../../core/route/rule-set.js';
import { compileRule, type Rule } from '../../core/route/rules.js';
import type { ConnectionMeta } from '../../core/adapter/outbound.js';
import { seededRandom } from '../../test/helpers/seeded-random.js';

export interface MatchRun {
  rules: number;
  mix: Record<string, number>;
  connections: number;
  compileMs: number;
  indexedUs: { p50: number; p99: number; p999: number; max: number; mean: number };
  linearUs: { p50: number; p99: number; max: number };
  mismatches: number;
  /** Connections whose answer was MATCH (nothing earlier matched): every linear rule was tested. */
  fellThrough: number;
}

/** How many rules of each type, 10,000 in all, shaped like a large real profile: domains and CIDRs dominate. */
export const MIX: Record<string, number> = {
  'DOMAIN-SUFFIX': 4000,
  DOMAIN: 1500,
  'DOMAIN-KEYWORD': 500,
  'DOMAIN-REGEX': 50,
  'IP-CIDR': 2000,
  'IP-CIDR6': 500,
  'SRC-IP-CIDR': 300,
  'DST-PORT': 300,
  'SRC-PORT': 100,
  NETWORK: 2,
  'PROCESS-NAME': 500,
  'PROCESS-PATH': 198,
  'AND/OR/NOT': 50,
};

export function runMatch(seed = 7, connections = 100_000): MatchRun {
  const r = seededRandom(seed);
  const int = (n: number) => Math.floor(r() * n);
  const word = () => Array.from({ length: 4 + int(6) }, () => String.fromCharCode(97 + int(26))).join('');
  const tlds = ['com', 'net', 'org', 'io', 'cn', 'jp'];
  const domain = () => `${word()}.${tlds[int(tlds.length)]}`;
  const v4 = () => `${1 + int(223)}.${int(256)}.${int(256)}.${int(256)}`;
  const v6 = () => `2001:${int(0xffff).toString(16)}:${int(0xffff).toString(16)}::${int(0xffff).toString(16)}`;
  // Rules name 60 programs; connections come from those and from four times as many others.
  const procs = Array.from({ length: 60 }, () => word());
  const running = [...procs, ...Array.from({ length: 240 }, () => word())];
  const suffixes: string[] = [];
  const lines: string[] = [];
  // Sub-rules that seldom hold, so a logic rule matches about as often as a plain one.
  const atom = (): string => {
    switch (int(5)) {
      case 0: return `DOMAIN-SUFFIX,${domain()}`;
      case 1: return `DST-PORT,${1 + int(65535)}`;
      case 2: return `SRC-IP-CIDR,10.${int(256)}.${int(256)}.0/24`;
      case 3: return `PROCESS-NAME,${procs[int(procs.length)]}`;
      default: return `DOMAIN-KEYWORD,${word()}${word()}`;
    }
  };
  const make: Record<string, () => string> = {
    'DOMAIN-SUFFIX': () => {
      const d = domain();
      suffixes.push(d);
      return `DOMAIN-SUFFIX,${d}`;
    },
    DOMAIN: () => `DOMAIN,${word()}.${domain()}`,
    'DOMAIN-KEYWORD': () => `DOMAIN-KEYWORD,${word().slice(0, 5)}`,
    'DOMAIN-REGEX': () => `DOMAIN-REGEX,^${word()}[0-9]+\\.${word()}\\.`,
    'IP-CIDR': () => `IP-CIDR,${v4()}/${8 + int(25)},no-resolve`,
    'IP-CIDR6': () => `IP-CIDR6,2001:${int(0xffff).toString(16)}::/${32 + int(33)},no-resolve`,
    'SRC-IP-CIDR': () => `SRC-IP-CIDR,10.${int(256)}.${int(256)}.0/24`,
    'DST-PORT': () => `DST-PORT,${1024 + int(60000)}`,
    'SRC-PORT': () => {
      const lo = 1024 + int(60000);
      return `SRC-PORT,${lo}-${lo + 10}`;
    },
    NETWORK: () => 'NETWORK,udp',
    'PROCESS-NAME': () => `PROCESS-NAME,${procs[int(procs.length)]}`,
    'PROCESS-PATH': () => `PROCESS-PATH,/usr/bin/${procs[int(procs.length)]}`,
    'AND/OR/NOT': () => {
      const kind = int(3);
      if (kind === 0) return `NOT,((OR,((NETWORK,tcp),(NETWORK,udp))))`;
      if (kind === 1) return `OR,((${atom()}),(${atom()}))`;
      return `AND,((${atom()}),(NOT,((${atom()}))))`;
    },
  };
  // Interleave the types, as a real list does, so no family sits all at the end.
  const bag: string[] = Object.entries(MIX).flatMap(([type, n]) => Array<string>(n).fill(type));
  for (let i = bag.length - 1; i > 0; i--) {
    const j = int(i + 1);
    [bag[i], bag[j]] = [bag[j]!, bag[i]!];
  }
  // The NETWORK,udp rules would take every UDP connection early; keep them near the end.
  for (const type of bag) lines.push(`${make[type]!()},T`);
  lines.push('MATCH,FINAL');

  const t0 = performance.now();
  const rules: Rule[] = lines.map((l) => {
    const parsed = parseRule(l);
    if ('error' in parsed) throw new Error(`${l}: ${parsed.error}`);
    return compileRule(parsed.rule);
  });
  const set = new RuleSet(rules);
  const compileMs = performance.now() - t0;

  const metas: { meta: ConnectionMeta; resolved?: string }[] = [];
  for (let i = 0; i < connections; i++) {
    const kind = int(20);
    const host = kind < 6 ? `${word()}.${suffixes[int(suffixes.length)]}` : kind < 12 ? domain() : kind < 17 ? v4() : v6();
    const name = running[int(running.length)]!;
    metas.push({
      meta: {
        id: String(i),
        network: int(50) === 0 ? 'udp' : 'tcp',
        inbound: 'socks5',
        source: { address: int(4) === 0 ? `10.${int(256)}.${int(256)}.${int(256)}` : '127.0.0.1', port: 1024 + int(60000) },
        destination: { host, port: int(2) ? 443 : 1024 + int(60000) },
        process: { name, path: `/usr/bin/${name}`, pid: 1 },
        startedAt: 0,
      },
      // A name's addresses as the resolver's cache would give them (IP rules here are no-resolve, so unused).
      resolved: kind < 12 ? v4() : undefined,
    });
  }
  const one = (m: (typeof metas)[number]) => {
    const input = matchInput(m.meta);
    if (m.resolved) input.resolved = [parseIp(m.resolved)!];
    return set.step(input).index;
  };
  for (let i = 0; i < 20_000; i++) one(metas[i % metas.length]!);
  const times = new Float64Array(connections);
  const answers = new Int32Array(connections);
  for (let i = 0; i < connections; i++) {
    const start = process.hrtime.bigint();
    answers[i] = one(metas[i]!) ?? -1;
    times[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  // The reference: every rule tested in order, on the first 5,000 connections (it is slow).
  const linearTimes: number[] = [];
  let mismatches = 0;
  let fellThrough = 0;
  for (let i = 0; i < connections; i++) {
    if (answers[i] === rules.length - 1) fellThrough++;
    if (i >= 5000) continue;
    const m = metas[i]!;
    const input = matchInput(m.meta);
    if (m.resolved) input.resolved = [parseIp(m.resolved)!];
    setProcess(input, m.meta.process!);
    const start = process.hrtime.bigint();
    let want = rules.findIndex((rule) => rule.test(input) === true);
    linearTimes.push(Number(process.hrtime.bigint() - start) / 1000);
    if (want < 0) want = NO_RULE;
    if (want !== answers[i]) mismatches++;
  }
  const sorted = Float64Array.from(times).sort();
  const q = (xs: ArrayLike<number>, p: number) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
  linearTimes.sort((a, b) => a - b);
  return {
    rules: rules.length,
    mix: MIX,
    connections,
    compileMs,
    indexedUs: { p50: q(sorted, 0.5), p99: q(sorted, 0.99), p999: q(sorted, 0.999), max: sorted[sorted.length - 1]!, mean: times.reduce((a, b) => a + b, 0) / connections },
    linearUs: { p50: q(linearTimes, 0.5), p99: q(linearTimes, 0.99), max: linearTimes.at(-1)! },
    mismatches,
    fellThrough,
  };
}
