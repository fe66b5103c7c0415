import { describe, expect, it } from 'vitest';
import { compileRule, RuleError, type Rule, type RuleSpec } from '../../../core/route/rules.js';
import { RuleSet } from '../../../core/route/rule-set.js';
import { matchInput } from '../../../core/route/match-input.js';
import type { ConnectionMeta } from '../../../core/adapter/outbound.js';

const meta = (host: string, port = 443): ConnectionMeta => ({
  id: 't',
  network: 'tcp',
  inbound: 'socks5',
  source: { address: '127.0.0.1', port: 5000 },
  destination: { host, port },
  startedAt: 0,
});

const rule = (line: string): RuleSpec => {
  const [type, payload, target, ...options] = line.split(',');
  return type === 'MATCH' ? { type, payload: '', target: payload!, options: [] } : { type: type!, payload: payload!, target: target!, options };
};

describe('minimal rules', () => {
  const cases: [string, string, boolean][] = [
    ['DOMAIN,example.com,DIRECT', 'example.com', true],
    ['DOMAIN,example.com,DIRECT', 'EXAMPLE.com.', true],
    ['DOMAIN,example.com,DIRECT', 'www.example.com', false],
    ['DOMAIN-SUFFIX,example.com,DIRECT', 'example.com', true],
    ['DOMAIN-SUFFIX,example.com,DIRECT', 'a.b.example.com', true],
    ['DOMAIN-SUFFIX,example.com,DIRECT', 'badexample.com', false],
    ['DOMAIN-KEYWORD,goog,DIRECT', 'www.google.com', true],
    ['IP-CIDR,10.0.0.0/8,DIRECT,no-resolve', '10.1.2.3', true],
    ['IP-CIDR,10.0.0.0/8,DIRECT,no-resolve', '11.1.2.3', false],
    ['IP-CIDR,10.0.0.0/8,DIRECT,no-resolve', '::ffff:10.0.0.1', true],
    ['IP-CIDR,10.0.0.0/8,DIRECT,no-resolve', 'ten.example', false],
    ['IP-CIDR6,fd00::/8,DIRECT', 'fd12::1', true],
    ['IP-CIDR6,fd00::/8,DIRECT', 'fe80::1', false],
    ['IP-CIDR,fd00::/8,DIRECT', '10.0.0.1', false],
    ['MATCH,auto', 'anything.test', true],
  ];
  it.each(cases)('%s vs %s → %s', (line, host, expected) => {
    expect(compileRule(rule(line)).matches(meta(host))).toBe(expected);
  });

  it('takes the first matching rule in order (through the RuleSet the router uses)', () => {
    const rules = ['DOMAIN-SUFFIX,local.test,DIRECT', 'IP-CIDR,127.0.0.0/8,REJECT,no-resolve', 'MATCH,pool'].map((l) => compileRule(rule(l)));
    const first = (set: RuleSet, host: string) => set.tryMatch(matchInput(meta(host))) as Rule | undefined;
    const all = new RuleSet(rules);
    expect(first(all, 'x.local.test')?.target).toBe('DIRECT');
    expect(first(all, '127.0.0.1')?.target).toBe('REJECT');
    expect(first(all, 'example.org')?.target).toBe('pool');
    expect(first(new RuleSet(rules.slice(0, 2)), 'example.org')).toBeUndefined();
  });

  it('names the problem in a bad rule', () => {
    expect(() => compileRule(rule('IP-CIDR,10.0.0.0/33,DIRECT'))).toThrow(RuleError);
    expect(() => compileRule(rule('IP-CIDR,10.0.0.0/33,DIRECT'))).toThrow('expected a CIDR like 10.0.0.0/8 or fd00::/8, got "10.0.0.0/33"');
    expect(() => compileRule(rule('GEOIP,CN,DIRECT'))).toThrow(/unknown rule type "GEOIP"; supported: MATCH, DOMAIN/);
  });
});
