import type { ConnectionMeta } from '../adapter/outbound.js';
import { inCidr, parseCidr, type IpBytes } from './ip-address.js';
import { parseLogicPayload } from './logic.js';
import { matchInput, normalizeHost, NEED_PROCESS, NEED_RESOLVE, type MatchInput } from './match-input.js';

/** A rule as the profile states it: `IP-CIDR,10.0.0.0/8,DIRECT,no-resolve`. */
export interface RuleSpec {
  type: string;
  payload: string;
  target: string;
  options: string[];
}

/** A rule whose payload cannot work: a profile error. */
export class RuleError extends Error {
  readonly code: 'BAD_RULE' | 'UNSUPPORTED_RULE' = 'BAD_RULE';
}

/** A Clash rule type this engine does not match (GEOIP, RULE-SET...): skipped with a warning, not an error. */
export class UnsupportedRuleError extends RuleError {
  override readonly code = 'UNSUPPORTED_RULE';
}

/** true, false, or undefined: "cannot tell until the name is resolved / the process is known". */
export type Verdict = boolean | undefined;

/**
 * What the rule set may index a rule by. `linear` rules (regexes, AND/OR/NOT) are tested one by
 * one, but only those ahead of the best indexed hit.
 */
export type RuleKey =
  | { kind: 'domain'; domain: string; exact: boolean }
  | { kind: 'keyword'; keyword: string }
  | { kind: 'cidr'; side: 'dst' | 'src'; base: IpBytes; bits: number; resolve: boolean }
  | { kind: 'port'; side: 'dst' | 'src'; ranges: readonly [number, number][] }
  | { kind: 'network'; network: 'tcp' | 'udp' }
  | { kind: 'process'; field: 'name' | 'path'; value: string }
  | { kind: 'match' }
  | { kind: 'linear' };

/** A compiled rule. */
export interface Rule {
  readonly type: string;
  readonly payload: string;
  readonly target: string;
  readonly options: readonly string[];
  /** NEED_RESOLVE / NEED_PROCESS bits: data the rule may have to wait for. */
  readonly needs: number;
  readonly key: RuleKey;
  test(input: MatchInput): Verdict;
  /** With what the meta already carries: a name is never resolved here, an unknown process never matches. */
  matches(meta: ConnectionMeta): boolean;
}

interface Compiled {
  test: (input: MatchInput) => Verdict;
  needs: number;
  key: RuleKey;
}

const linear = (test: Compiled['test'], needs = 0): Compiled => ({ test, needs, key: { kind: 'linear' } });

function cidr(payload: string, side: 'dst' | 'src', noResolve: boolean): Compiled {
  let range: ReturnType<typeof parseCidr>;
  try {
    range = parseCidr(payload);
  } catch {
    throw new RuleError(`expected a CIDR like 10.0.0.0/8 or fd00::/8, got ${JSON.stringify(payload)}`);
  }
  const { ip: base, bits } = range;
  const key: RuleKey = { kind: 'cidr', side, base, bits, resolve: side === 'dst' && !noResolve };
  if (side === 'src') return { key, needs: 0, test: (i) => !!i.srcIp && inCidr(i.srcIp, base, bits) };
  return {
    key,
    needs: noResolve ? 0 : NEED_RESOLVE,
    test: (i) => {
      if (i.dstIp) return inCidr(i.dstIp, base, bits);
      if (noResolve) return false;
      // Without no-resolve, a name is resolved once and its addresses are tested.
      if (i.resolved === undefined) return undefined;
      return i.resolved.some((ip) => inCidr(ip, base, bits));
    },
  };
}

function ports(type: string, payload: string, side: 'dst' | 'src'): Compiled {
  const ranges: [number, number][] = [];
  for (const part of payload.split('/')) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part.trim());
    const lo = m ? Number(m[1]) : NaN;
    const hi = m?.[2] === undefined ? lo : Number(m[2]);
    if (!m || lo > 65535 || hi > 65535 || lo > hi) {
      throw new RuleError(`expected a port or range like 443 or 8000-9000 for ${type}, got ${JSON.stringify(payload)}`);
    }
    ranges.push([lo, hi]);
  }
  return {
    key: { kind: 'port', side, ranges },
    needs: 0,
    test: (i) => {
      const port = side === 'dst' ? i.meta.destination.port : i.meta.source.port;
      return ranges.some(([lo, hi]) => port >= lo && port <= hi);
    },
  };
}

function regex(type: string, payload: string): RegExp {
  // Go's (?i) prefix, common in mihomo profiles; domain names are compared case-insensitively anyway.
  const source = payload.startsWith('(?i)') ? payload.slice(4) : payload;
  try {
    return new RegExp(source, 'i');
  } catch (err) {
    throw new RuleError(`expected a regular expression for ${type}, got ${JSON.stringify(payload)}: ${(err as Error).message}`);
  }
}

function logic(type: 'AND' | 'OR' | 'NOT', payload: string, depth: number): Compiled {
  if (depth > 16) throw new RuleError(`expected ${type} nested at most 16 deep`);
  const parsed = parseLogicPayload(payload);
  if (typeof parsed === 'string') throw new RuleError(`${parsed} for ${type}`);
  if (type === 'NOT' && parsed.length !== 1) throw new RuleError(`expected exactly one sub-rule for NOT, got ${parsed.length}`);
  const subs = parsed.map((s) => {
    try {
      return compileMatcher(s.type, s.payload, s.options, depth + 1);
    } catch (err) {
      const text = `(${[s.type, s.payload, ...s.options].filter(Boolean).join(',')})`;
      const Err = err instanceof UnsupportedRuleError ? UnsupportedRuleError : RuleError;
      throw new Err(`in ${text}: ${(err as Error).message}`);
    }
  });
  const needs = subs.reduce((n, s) => n | s.needs, 0);
  const tests = subs.map((s) => s.test);
  // Three-valued (Kleene) logic: an unknown sub-rule leaves the answer unknown only when it could change it.
  if (type === 'NOT') {
    const t = tests[0]!;
    return linear((i) => {
      const v = t(i);
      return v === undefined ? undefined : !v;
    }, needs);
  }
  const decisive = type === 'OR';
  return linear((i) => {
    let unknown = false;
    for (const t of tests) {
      const v = t(i);
      if (v === decisive) return decisive;
      if (v === undefined) unknown = true;
    }
    return unknown ? undefined : !decisive;
  }, needs);
}

function processRule(field: 'name' | 'path', payload: string): Compiled {
  const want = payload.toLowerCase();
  return {
    key: { kind: 'process', field, value: want },
    needs: NEED_PROCESS,
    test: (i) => {
      if (i.process === undefined) return undefined;
      return (field === 'name' ? i.processName : i.processPath) === want;
    },
  };
}

type Compiler = (payload: string, options: readonly string[], type: string, depth: number) => Compiled;

const compilers: Record<string, Compiler> = {
  MATCH: () => ({ key: { kind: 'match' }, needs: 0, test: () => true }),
  DOMAIN: (payload) => {
    const want = normalizeHost(payload);
    return { key: { kind: 'domain', domain: want, exact: true }, needs: 0, test: (i) => i.host !== '' && i.host === want };
  },
  'DOMAIN-SUFFIX': (payload) => {
    const suffix = normalizeHost(payload);
    const dotted = `.${suffix}`;
    return { key: { kind: 'domain', domain: suffix, exact: false }, needs: 0, test: (i) => i.host !== '' && (i.host === suffix || i.host.endsWith(dotted)) };
  },
  'DOMAIN-KEYWORD': (payload) => {
    const kw = payload.toLowerCase();
    return { key: { kind: 'keyword', keyword: kw }, needs: 0, test: (i) => i.host !== '' && i.host.includes(kw) };
  },
  'DOMAIN-REGEX': (payload, _o, type) => {
    const re = regex(type, payload);
    return linear((i) => i.host !== '' && re.test(i.host));
  },
  // mihomo's `src` option turns IP-CIDR into SRC-IP-CIDR.
  'IP-CIDR': (payload, options) => cidr(payload, options.includes('src') ? 'src' : 'dst', options.includes('no-resolve')),
  'IP-CIDR6': (payload, options) => cidr(payload, options.includes('src') ? 'src' : 'dst', options.includes('no-resolve')),
  'SRC-IP-CIDR': (payload) => cidr(payload, 'src', true),
  'DST-PORT': (payload, _o, type) => ports(type, payload, 'dst'),
  'SRC-PORT': (payload, _o, type) => ports(type, payload, 'src'),
  NETWORK: (payload) => {
    const network = payload.toLowerCase();
    if (network !== 'tcp' && network !== 'udp') throw new RuleError(`expected tcp or udp for NETWORK, got ${JSON.stringify(payload)}`);
    return { key: { kind: 'network', network }, needs: 0, test: (i) => i.meta.network === network };
  },
  'PROCESS-NAME': (payload) => processRule('name', payload),
  'PROCESS-PATH': (payload) => processRule('path', payload),
  AND: (payload, _o, _t, depth) => logic('AND', payload, depth),
  OR: (payload, _o, _t, depth) => logic('OR', payload, depth),
  NOT: (payload, _o, _t, depth) => logic('NOT', payload, depth),
};

export const SUPPORTED_RULE_TYPES = Object.keys(compilers);

/** The rule types a Clash profile may hold that this engine does not match (the loader's list minus ours). */
function unsupported(type: string): RuleError {
  return new UnsupportedRuleError(`unknown rule type ${JSON.stringify(type)}; supported: ${SUPPORTED_RULE_TYPES.join(', ')}`);
}

function compileMatcher(type: string, payload: string, options: readonly string[], depth: number): Compiled {
  const compile = compilers[type];
  if (!compile) throw unsupported(type);
  if (type !== 'MATCH' && !payload) throw new RuleError(`expected a payload for ${type}, got nothing`);
  return compile(payload, options, type, depth);
}

/** Throws RuleError (bad payload) or UnsupportedRuleError (a type we do not match). */
export function compileRule(spec: RuleSpec): Rule {
  const { test, needs, key } = compileMatcher(spec.type, spec.payload, spec.options, 0);
  return {
    type: spec.type,
    payload: spec.payload,
    target: spec.target,
    options: spec.options,
    needs,
    key,
    test,
    matches: (meta) => test(matchInput(meta)) === true,
  };
}
