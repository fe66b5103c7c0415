import net from 'node:net';
import ipaddr from 'ipaddr.js';
import type { ConnectionMeta } from '../adapter/outbound.js';

/** A rule as the profile states it: `IP-CIDR,10.0.0.0/8,DIRECT,no-resolve`. */
export interface RuleSpec {
  type: string;
  payload: string;
  target: string;
  options: string[];
}

export class RuleError extends Error {
  readonly code = 'BAD_RULE';
}

/** A compiled rule: answers whether a connection matches it. */
export interface Rule {
  readonly type: string;
  readonly payload: string;
  readonly target: string;
  matches(meta: ConnectionMeta): boolean;
}

type Matcher = (meta: ConnectionMeta) => boolean;

/** Lower-case and drop a trailing dot so `Example.COM.` matches `example.com`. */
const normalizeHost = (host: string) => (host.endsWith('.') ? host.slice(0, -1) : host).toLowerCase();

const compilers: Record<string, (payload: string) => Matcher> = {
  MATCH: () => () => true,
  DOMAIN: (payload) => {
    const want = normalizeHost(payload);
    return (m) => normalizeHost(m.destination.host) === want;
  },
  'DOMAIN-SUFFIX': (payload) => {
    const suffix = normalizeHost(payload);
    const dotted = `.${suffix}`;
    return (m) => {
      const h = normalizeHost(m.destination.host);
      return h === suffix || h.endsWith(dotted);
    };
  },
  'DOMAIN-KEYWORD': (payload) => {
    const kw = payload.toLowerCase();
    return (m) => normalizeHost(m.destination.host).includes(kw);
  },
  'IP-CIDR': (payload) => cidrMatcher(payload),
  'IP-CIDR6': (payload) => cidrMatcher(payload),
};

/**
 * Destinations that are domain names never match IP rules here: resolving them first (Clash's behaviour
 * without `no-resolve`) arrives with the full rules engine.
 */
function cidrMatcher(payload: string): Matcher {
  let range: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    range = ipaddr.parseCIDR(payload);
  } catch {
    throw new RuleError(`expected a CIDR like 10.0.0.0/8 or fd00::/8, got ${JSON.stringify(payload)}`);
  }
  const [base, bits] = range;
  return (m) => {
    const host = m.destination.host;
    if (!net.isIP(host)) return false;
    let addr = ipaddr.parse(host);
    // An IPv4-mapped IPv6 destination (::ffff:10.0.0.1) should match an IPv4 range.
    if (addr.kind() === 'ipv6' && base.kind() === 'ipv4' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
      addr = (addr as ipaddr.IPv6).toIPv4Address();
    }
    return addr.kind() === base.kind() && addr.match(base, bits);
  };
}

export const SUPPORTED_RULE_TYPES = Object.keys(compilers);

export function compileRule(spec: RuleSpec): Rule {
  const compile = compilers[spec.type];
  if (!compile) throw new RuleError(`unknown rule type ${JSON.stringify(spec.type)}; supported: ${SUPPORTED_RULE_TYPES.join(', ')}`);
  const matches = compile(spec.payload);
  return { type: spec.type, payload: spec.payload, target: spec.target, matches };
}

/** First matching rule wins, as in Clash; undefined when none matches (a profile should end with MATCH). */
export function firstMatch(rules: readonly Rule[], meta: ConnectionMeta): Rule | undefined {
  for (const r of rules) if (r.matches(meta)) return r;
  return undefined;
}
