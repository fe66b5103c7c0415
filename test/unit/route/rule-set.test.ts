import { describe, expect, it } from 'vitest';
import { parseIp } from '../../../core/route/ip-address.js';
import { matchInput, setProcess, type MatchInput } from '../../../core/route/match-input.js';
import { NO_RULE } from '../../../core/route/cidr-trie.js';
import { RuleSet } from '../../../core/route/rule-set.js';
import { compileRule, type Rule } from '../../../core/route/rules.js';
import { meta, spec } from './helpers.js';
import { seededRandom } from '../../helpers/seeded-random.js';

const LABELS = ['a', 'b', 'api', 'cdn', 'shop', 'example', 'test', 'com', 'org', 'net', 'io'];
const NAMES = ['curl', 'firefox', 'node', 'python3'];

function generator(seed: number) {
  const r = seededRandom(seed);
  const int = (n: number) => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]) => xs[int(xs.length)]!;
  const domain = () => Array.from({ length: 1 + int(3) }, () => pick(LABELS)).join('.');
  const v4 = () => `10.${int(4)}.${int(4)}.${int(256)}`;
  const v6 = () => `fd00:${int(4).toString(16)}::${int(65536).toString(16)}`;
  const port = () => pick([22, 80, 443, 8080, 8443, 50000 + int(20)]);
  const atom = (): string => {
    switch (int(14)) {
      case 0: return `DOMAIN,${domain()}`;
      case 1: return `DOMAIN-SUFFIX,${domain()}`;
      case 2: return `DOMAIN-KEYWORD,${pick(LABELS)}`;
      case 3: return `DOMAIN-REGEX,^${pick(LABELS)}\\.`;
      case 4: return `IP-CIDR,10.${int(4)}.0.0/${pick([8, 16, 24])},no-resolve`.replace(/,no-resolve$/, int(2) ? ',no-resolve' : '');
      case 5: return `IP-CIDR6,fd00:${int(4).toString(16)}::/${pick([16, 32, 64])}`;
      case 6: return `SRC-IP-CIDR,127.0.0.${int(4)}/${pick([30, 31, 32])}`;
      case 7: return `DST-PORT,${pick(['80', '443', '8000-8500', '22/80'])}`;
      case 8: return `SRC-PORT,${50000 + int(10)}-${50010 + int(10)}`;
      case 9: return `NETWORK,${pick(['tcp', 'udp'])}`;
      case 10: return `PROCESS-NAME,${pick(NAMES)}`;
      case 11: return `PROCESS-PATH,/usr/bin/${pick(NAMES)}`;
      case 12: return `NOT,((DST-PORT,${port()}))`;
      default: return `${pick(['AND', 'OR'])},((${atom()}),(${atom()}))`;
    }
  };
  const rule = (i: number) => `${atom()},T${i}`;
  const input = (): MatchInput => {
    const kind = int(3);
    const host = kind === 0 ? domain() : kind === 1 ? v4() : v6();
    const m = meta({ host, port: port(), src: `127.0.0.${int(4)}`, srcPort: 50000 + int(20), network: int(5) ? 'tcp' : 'udp' });
    const i = matchInput(m);
    // Everything known up front: step() must then decide without asking for anything.
    i.resolved = kind === 0 ? [parseIp(int(2) ? v4() : v6())!] : undefined;
    setProcess(i, int(4) ? { name: pick(NAMES), path: `/usr/bin/${pick(NAMES)}`, pid: 1 } : null);
    return i;
  };
  return { rule, input };
}

/** The reference: test each rule in order. */
function linearFirst(rules: readonly Rule[], input: MatchInput): number {
  const i = rules.findIndex((r) => r.test(input) === true);
  return i < 0 ? NO_RULE : i;
}

describe('the indexed rule set decides exactly as a linear scan', () => {
  it.each([1, 2, 3])('2,000 random rules of every type, 3,000 random connections (seed %i)', (seed) => {
    const g = generator(seed);
    const rules = Array.from({ length: 2000 }, (_, i) => compileRule(spec(g.rule(i))));
    const set = new RuleSet(rules);
    let hits = 0;
    for (let n = 0; n < 3000; n++) {
      const input = g.input();
      const want = linearFirst(rules, input);
      const got = set.step(input);
      expect(got.need, `${input.meta.destination.host}`).toBeUndefined();
      expect(got.index, `${JSON.stringify(input.meta)} → ${rules[want]?.type},${rules[want]?.payload}`).toBe(want);
      if (want !== NO_RULE) hits++;
    }
    // The generator must produce matches for the comparison to mean anything.
    expect(hits).toBeGreaterThan(2500);
  });

  it('asks for a name to be resolved only when an IP rule without no-resolve comes before every match', () => {
    const set = new RuleSet(['DOMAIN,a.test,A', 'IP-CIDR,10.0.0.0/8,B', 'DOMAIN,b.test,C'].map((l) => compileRule(spec(l))));
    expect(set.step(matchInput(meta('a.test')))).toEqual({ index: 0 });
    expect(set.step(matchInput(meta('b.test')))).toEqual({ need: 1 });
    expect(set.step(matchInput(meta('10.0.0.1')))).toEqual({ index: 1 });
  });

  it('asks for the process only when a PROCESS rule comes before every match', () => {
    const set = new RuleSet(['DOMAIN,a.test,A', 'PROCESS-NAME,curl,B', 'MATCH,C'].map((l) => compileRule(spec(l))));
    expect(set.step(matchInput(meta('a.test')))).toEqual({ index: 0 });
    expect(set.step(matchInput(meta('b.test')))).toEqual({ need: 2 });
    expect(set.step(matchInput(meta({ host: 'b.test', process: { name: 'CURL' } })))).toEqual({ index: 1 });
    expect(set.step(matchInput(meta({ host: 'b.test', process: { name: 'wget' } })))).toEqual({ index: 2 });
  });

  it('an AND that is already false does not wait for the data its other half needs', () => {
    const set = new RuleSet(['AND,((DOMAIN,a.test),(PROCESS-NAME,curl)),A', 'MATCH,B'].map((l) => compileRule(spec(l))));
    expect(set.step(matchInput(meta('b.test')))).toEqual({ index: 1 });
    expect(set.step(matchInput(meta('a.test')))).toEqual({ need: 2 });
  });
});
