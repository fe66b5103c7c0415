import ipaddr from 'ipaddr.js';
import { describe } from './fields.js';
import type { IssueCollector, Path } from './issues.js';
import type { RuleConfig } from './types.js';

/**
 * Rule types a Clash/mihomo profile may use. The loader accepts them all so real profiles load; which ones
 * the rules engine can match is its own business (core/route/rules.ts reports the rest).
 */
export const RULE_TYPES = [
  'DOMAIN', 'DOMAIN-SUFFIX', 'DOMAIN-KEYWORD', 'DOMAIN-REGEX', 'GEOSITE',
  'IP-CIDR', 'IP-CIDR6', 'IP-SUFFIX', 'IP-ASN', 'GEOIP',
  'SRC-GEOIP', 'SRC-IP-ASN', 'SRC-IP-CIDR', 'SRC-IP-SUFFIX',
  'DST-PORT', 'SRC-PORT', 'IN-PORT', 'IN-TYPE', 'IN-USER', 'IN-NAME',
  'PROCESS-NAME', 'PROCESS-PATH', 'PROCESS-NAME-REGEX', 'PROCESS-PATH-REGEX', 'UID',
  'NETWORK', 'DSCP', 'RULE-SET', 'AND', 'OR', 'NOT', 'MATCH',
] as const;

const RULE_OPTIONS = ['no-resolve', 'src'];

const CIDR_TYPES = new Set(['IP-CIDR', 'IP-CIDR6', 'SRC-IP-CIDR']);
const PORT_TYPES = new Set(['DST-PORT', 'SRC-PORT', 'IN-PORT']);
const LOGIC_TYPES = new Set(['AND', 'OR', 'NOT']);

const EXAMPLE = 'DOMAIN-SUFFIX,example.com,DIRECT';

/**
 * Splits on commas outside parentheses, so `AND,((DOMAIN,a.com),(NETWORK,UDP)),DIRECT` has three fields;
 * undefined when the parentheses do not balance. Also splits AND/OR/NOT payloads (core/route/logic.ts).
 */
export function splitFields(text: string): string[] | undefined {
  const fields: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return undefined;
    else if (c === ',' && depth === 0) {
      fields.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (depth !== 0) return undefined;
  fields.push(text.slice(start).trim());
  return fields;
}

/** Why a payload cannot be right for its type, or undefined. */
function payloadProblem(type: string, payload: string): string | undefined {
  if (!payload) return `expected a payload for ${type}, got nothing`;
  if (CIDR_TYPES.has(type)) {
    return ipaddr.isValidCIDR(payload) ? undefined : `expected a CIDR like 10.0.0.0/8 for ${type}, got ${describe(payload)}`;
  }
  if (PORT_TYPES.has(type)) {
    const ok = payload.split('/').every((part) => {
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part.trim());
      return !!m && Number(m[1]) <= 65535 && (m[2] === undefined || (Number(m[2]) <= 65535 && Number(m[1]) <= Number(m[2])));
    });
    return ok ? undefined : `expected a port or range like 443 or 8000-9000 for ${type}, got ${describe(payload)}`;
  }
  if (type === 'NETWORK' && !['tcp', 'udp'].includes(payload.toLowerCase())) {
    return `expected tcp or udp for NETWORK, got ${describe(payload)}`;
  }
  if (LOGIC_TYPES.has(type) && !(payload.startsWith('(') && payload.endsWith(')'))) {
    return `expected sub-rules in parentheses like ((DOMAIN,a.com),(NETWORK,UDP)) for ${type}, got ${describe(payload)}`;
  }
  return undefined;
}

/** Parses one rule line; the message says what was expected when it cannot. */
export function parseRule(text: unknown): { rule: RuleConfig } | { error: string } {
  if (typeof text !== 'string') return { error: `expected a rule like "${EXAMPLE}", got ${describe(text)}` };
  const fields = splitFields(text);
  if (!fields) return { error: `expected balanced parentheses in the rule, got ${describe(text)}` };
  const type = fields[0].toUpperCase();
  if (!(RULE_TYPES as readonly string[]).includes(type)) {
    return { error: `expected a rule type (one of ${RULE_TYPES.join(', ')}), got ${describe(fields[0])}` };
  }
  if (type === 'MATCH') {
    if (fields.length < 2 || !fields[1]) return { error: `expected MATCH,target, got ${describe(text)}` };
    return { rule: { type, payload: '', target: fields[1], options: fields.slice(2) } };
  }
  if (fields.length < 3 || !fields[2]) return { error: `expected TYPE,payload,target like "${EXAMPLE}", got ${describe(text)}` };
  const problem = payloadProblem(type, fields[1]);
  if (problem) return { error: problem };
  return { rule: { type, payload: fields[1], target: fields[2], options: fields.slice(3) } };
}

export function formatRule(rule: RuleConfig): string {
  const head = rule.type === 'MATCH' ? [rule.type] : [rule.type, rule.payload];
  return [...head, rule.target, ...rule.options].join(',');
}

/** A rule that parsed, with where it was, for the target check. */
export interface PlacedRule {
  rule: RuleConfig;
  path: Path;
}

export function readRules(list: readonly unknown[], issues: IssueCollector): PlacedRule[] {
  const rules: PlacedRule[] = [];
  let matchAt: number | undefined;
  list.forEach((text, i) => {
    const path: Path = ['rules', i];
    const parsed = parseRule(text);
    if ('error' in parsed) {
      issues.error(path, parsed.error);
      return;
    }
    for (const opt of parsed.rule.options) {
      if (!RULE_OPTIONS.includes(opt)) issues.warn(`ignored unknown rule option ${JSON.stringify(opt)} at rules[${i}]`);
    }
    if (matchAt !== undefined) issues.warn(`rules[${i}] is never reached: MATCH at rules[${matchAt}] matches everything first`);
    if (parsed.rule.type === 'MATCH' && matchAt === undefined) matchAt = i;
    rules.push({ rule: parsed.rule, path });
  });
  return rules;
}
