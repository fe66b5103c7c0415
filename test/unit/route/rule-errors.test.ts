import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/adapter/errors.js';
import { loadProfile } from '../../../core/config/load.js';
import { Engine } from '../../../core/engine.js';
import { createProtocolRegistry } from '../../../core/protocol/index.js';
import { compileProfileRules } from '../../../core/route/routing.js';
import { compileRule, RuleError, type RuleSpec } from '../../../core/route/rules.js';
import { spec } from './helpers.js';

const registry = createProtocolRegistry();

function engineError(rules: string[]): ConfigError {
  const { profile } = loadProfile(`rules:\n${rules.map((r) => `  - ${JSON.stringify(r)}`).join('\n')}\n`, registry);
  try {
    new Engine(profile, { mixedPort: 0 });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('the engine accepted the rules');
}

const raw = (type: string, payload: string, options: string[] = []): RuleSpec => ({ type, payload, target: 'DIRECT', options });

describe('a bad rule is a profile error naming rules[i]', () => {
  it('a bad regular expression (the loader passes it; the engine refuses it)', () => {
    const err = engineError(['DOMAIN,ok.test,DIRECT', 'DOMAIN-REGEX,^x[a-,DIRECT', 'MATCH,DIRECT']);
    expect(err.issues).toEqual([
      { path: 'rules[1]', message: 'expected a regular expression for DOMAIN-REGEX, got "^x[a-": Invalid regular expression: /^x[a-/i: Unterminated character class' },
    ]);
    expect(err.message).toBe('rules[1]: expected a regular expression for DOMAIN-REGEX, got "^x[a-": Invalid regular expression: /^x[a-/i: Unterminated character class');
  });

  it('bad sub-rules inside AND / OR / NOT, each named with its rule', () => {
    const err = engineError(['AND,((DST-PORT,99999),(NETWORK,tcp)),DIRECT', 'OR,((NETWORK,icmp)),DIRECT', 'NOT,((DOMAIN,a.test),(DOMAIN,b.test)),DIRECT', 'NOT,((IP-CIDR,10.0.0.0/33)),DIRECT']);
    expect(err.issues).toEqual([
      { path: 'rules[0]', message: 'in (DST-PORT,99999): expected a port or range like 443 or 8000-9000 for DST-PORT, got "99999"' },
      { path: 'rules[1]', message: 'in (NETWORK,icmp): expected tcp or udp for NETWORK, got "icmp"' },
      { path: 'rules[2]', message: 'expected exactly one sub-rule for NOT, got 2' },
      { path: 'rules[3]', message: 'in (IP-CIDR,10.0.0.0/33): expected a CIDR like 10.0.0.0/8 or fd00::/8, got "10.0.0.0/33"' },
    ]);
  });

  it('bad CIDR, port range and NETWORK given to the engine directly (the app model, not YAML)', () => {
    const { problems } = compileProfileRules([
      raw('IP-CIDR', '10.0.0.0/33'),
      raw('IP-CIDR6', 'fd00::/129'),
      raw('SRC-IP-CIDR', 'not-an-ip/8'),
      raw('DST-PORT', '9000-8000'),
      raw('SRC-PORT', '70000'),
      raw('DST-PORT', '80,443'),
      raw('NETWORK', 'icmp'),
      raw('DOMAIN-SUFFIX', ''),
      raw('AND', 'DOMAIN,a.test'),
      raw('MATCH', ''),
    ]);
    expect(problems).toEqual([
      { path: 'rules[0]', message: 'expected a CIDR like 10.0.0.0/8 or fd00::/8, got "10.0.0.0/33"' },
      { path: 'rules[1]', message: 'expected a CIDR like 10.0.0.0/8 or fd00::/8, got "fd00::/129"' },
      { path: 'rules[2]', message: 'expected a CIDR like 10.0.0.0/8 or fd00::/8, got "not-an-ip/8"' },
      { path: 'rules[3]', message: 'expected a port or range like 443 or 8000-9000 for DST-PORT, got "9000-8000"' },
      { path: 'rules[4]', message: 'expected a port or range like 443 or 8000-9000 for SRC-PORT, got "70000"' },
      { path: 'rules[5]', message: 'expected a port or range like 443 or 8000-9000 for DST-PORT, got "80,443"' },
      { path: 'rules[6]', message: 'expected tcp or udp for NETWORK, got "icmp"' },
      { path: 'rules[7]', message: 'expected a payload for DOMAIN-SUFFIX, got nothing' },
      { path: 'rules[8]', message: 'expected sub-rules in parentheses like ((DOMAIN,a.com),(NETWORK,UDP)), got "DOMAIN,a.test" for AND' },
    ]);
  });

  it('rule types we do not match are skipped and counted, not refused; so is a logic rule holding one', () => {
    const { rules, skipped, problems } = compileProfileRules(['GEOIP,CN,DIRECT', 'GEOIP,US,DIRECT', 'RULE-SET,ads,REJECT', 'AND,((GEOIP,CN),(NETWORK,tcp)),DIRECT', 'MATCH,DIRECT'].map(spec));
    expect(problems).toEqual([]);
    expect(rules.map((r) => r.type)).toEqual(['MATCH']);
    expect(Object.fromEntries(skipped)).toEqual({ GEOIP: 2, 'RULE-SET': 1, 'AND (with an unsupported sub-rule)': 1 });
  });

  it('compileRule throws a RuleError with code BAD_RULE', () => {
    expect(() => compileRule(raw('DOMAIN-REGEX', '['))).toThrow(RuleError);
    try {
      compileRule(raw('DOMAIN-REGEX', '['));
    } catch (err) {
      expect((err as RuleError).code).toBe('BAD_RULE');
    }
  });
});
