import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/adapter/errors.js';
import { loadProfile } from '../../../core/config/load.js';
import { testRegistry } from './test-registry.js';

/** Loads and returns the ConfigError's issues as `path: message` lines; fails the test if it loads. */
function problems(yaml: string): string[] {
  try {
    loadProfile(yaml, testRegistry());
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CONFIG_INVALID');
    return (err as ConfigError).issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
  }
  throw new Error('expected the profile to be rejected');
}

const ss = (name: string, extra = '') => `  - { name: ${name}, type: ss, server: 127.0.0.1, port: 8388, cipher: aes-128-gcm, password: pw${extra} }`;

/** Each broken profile and the exact problems it must report, in order. */
const cases: { name: string; yaml: string; expected: string[] }[] = [
  {
    name: 'port given as a word',
    yaml: ['proxies:', ss('a'), '  - { name: b, type: ss, server: h, port: "x", cipher: aes-128-gcm, password: pw }'].join('\n'),
    expected: ['proxies[1].port: expected an integer 1-65535, got "x" (line 3)'],
  },
  {
    name: 'port 0',
    yaml: ['proxies:', '  - name: a', '    type: ss', '    server: h', '    port: 0', '    cipher: aes-128-gcm', '    password: pw'].join('\n'),
    expected: ['proxies[0].port: expected an integer 1-65535, got 0 (line 5)'],
  },
  {
    name: 'port 70000',
    yaml: ['proxies:', ss('a'), ss('b'), '  - { name: c, type: socks5, server: h, port: 70000 }'].join('\n'),
    expected: ['proxies[2].port: expected an integer 1-65535, got 70000 (line 4)'],
  },
  {
    name: 'proxy without a name',
    yaml: ['proxies:', '  - { type: socks5, server: h, port: 1080 }'].join('\n'),
    expected: ['proxies[0].name: expected a non-empty name, got nothing (line 2)'],
  },
  {
    name: 'two proxies with one name',
    yaml: ['proxies:', ss('a'), ss('a')].join('\n'),
    expected: ['proxies[1].name: expected a unique name, got "a" which proxies[0].name already uses (line 3)'],
  },
  {
    name: 'a group named like a proxy',
    yaml: ['proxies:', ss('a'), 'proxy-groups:', '  - { name: a, type: select, proxies: [DIRECT] }'].join('\n'),
    expected: ['proxy-groups[0].name: expected a unique name, got "a" which proxies[0].name already uses (line 4)'],
  },
  {
    name: 'a proxy named DIRECT',
    yaml: ['proxies:', '  - { name: DIRECT, type: direct }'].join('\n'),
    expected: ['proxies[0].name: expected a name other than the built-in DIRECT, REJECT, REJECT-DROP, got "DIRECT" (line 2)'],
  },
  {
    name: 'unknown proxy type',
    yaml: ['proxies:', '  - { name: a, type: hysteria9, server: h, port: 1 }'].join('\n'),
    expected: ['proxies[0].type: expected a proxy type (one of direct, reject, socks, socks5, ss), got "hysteria9" (line 2)'],
  },
  {
    name: 'group member not found',
    yaml: ['proxies:', ss('a'), 'proxy-groups:', '  - name: g', '    type: select', '    proxies: [a, b]'].join('\n'),
    expected: ['proxy-groups[0].proxies[1]: expected the name of a proxy, a group, DIRECT or REJECT, got "b" (line 6)'],
  },
  {
    name: 'provider not found',
    yaml: ['proxy-groups:', '  - { name: g, type: select, use: [sub1] }'].join('\n'),
    expected: ['proxy-groups[0].use[0]: expected the name of a proxy provider, got "sub1" (no proxy-providers are defined) (line 2)'],
  },
  {
    name: 'group cycle',
    yaml: [
      'proxies:', ss('a'), 'proxy-groups:',
      '  - { name: g1, type: select, proxies: [a, g2] }',
      '  - { name: g2, type: fallback, proxies: [g3] }',
      '  - { name: g3, type: url-test, proxies: [a], backup: [g1] }',
    ].join('\n'),
    expected: ['proxy-groups[2].backup[0]: expected groups not to contain themselves, got the cycle g1 -> g2 -> g3 -> g1 (line 6)'],
  },
  {
    name: 'group without members',
    yaml: ['proxy-groups:', '  - { name: g, type: select }'].join('\n'),
    expected: ['proxy-groups[0]: expected at least one member in proxies or use (or include-all-providers: true), got none (line 2)'],
  },
  {
    name: 'unknown strategy',
    yaml: ['proxies:', ss('a'), 'proxy-groups:', '  - { name: g, type: load-balance, strategy: fastest, proxies: [a] }'].join('\n'),
    expected: [
      'proxy-groups[0].strategy: expected one of round-robin, random, weighted-round-robin, least-connections, weighted-least-connections, weighted-latency, least-latency, health-score, consistent-hashing, sticky-sessions, failover, got "fastest" (line 4)',
    ],
  },
  {
    name: 'unknown group type',
    yaml: ['proxies:', ss('a'), 'proxy-groups:', '  - { name: g, type: relay, proxies: [a] }'].join('\n'),
    expected: ['proxy-groups[0].type: expected one of select, url-test, fallback, load-balance, got "relay" (line 4)'],
  },
  {
    name: 'unknown mode',
    yaml: 'mode: turbo\n',
    expected: ['mode: expected one of rule, global, direct, got "turbo" (line 1)'],
  },
  {
    name: 'rule with too few fields',
    yaml: ['rules:', '  - DOMAIN-SUFFIX,example.com', '  - MATCH,DIRECT'].join('\n'),
    expected: ['rules[0]: expected TYPE,payload,target like "DOMAIN-SUFFIX,example.com,DIRECT", got "DOMAIN-SUFFIX,example.com" (line 2)'],
  },
  {
    name: 'unknown rule type',
    yaml: ['rules:', '  - MATCH,DIRECT', '  - DOMIAN,example.com,DIRECT'].join('\n'),
    expected: [
      'rules[1]: expected a rule type (one of DOMAIN, DOMAIN-SUFFIX, DOMAIN-KEYWORD, DOMAIN-REGEX, GEOSITE, IP-CIDR, IP-CIDR6, IP-SUFFIX, IP-ASN, GEOIP, SRC-GEOIP, SRC-IP-ASN, SRC-IP-CIDR, SRC-IP-SUFFIX, DST-PORT, SRC-PORT, IN-PORT, IN-TYPE, IN-USER, IN-NAME, PROCESS-NAME, PROCESS-PATH, PROCESS-NAME-REGEX, PROCESS-PATH-REGEX, UID, NETWORK, DSCP, RULE-SET, AND, OR, NOT, MATCH), got "DOMIAN" (line 3)',
    ],
  },
  {
    name: 'rule target not found',
    yaml: ['proxies:', ss('a'), 'rules:', '  - DOMAIN,a.com,a', '  - MATCH,nowhere'].join('\n'),
    expected: ['rules[1]: expected a target that is the name of a proxy, a group, DIRECT or REJECT, got "nowhere" (line 5)'],
  },
  {
    name: 'rule with a bad CIDR',
    yaml: ['rules:', '  - IP-CIDR,10.0.0.0/33,DIRECT,no-resolve'].join('\n'),
    expected: ['rules[0]: expected a CIDR like 10.0.0.0/8 for IP-CIDR, got "10.0.0.0/33" (line 2)'],
  },
  {
    name: 'authentication entry without a colon (the entry is not repeated)',
    yaml: 'authentication: ["alice:pw", "bobsecret"]\n',
    expected: ['authentication[1]: expected "user:pass", got no ":" (line 1)'],
  },
  {
    name: 'YAML syntax error',
    yaml: ['mixed-port: 7890', 'proxies:', '  - { name: a, type: direct', 'rules: []'].join('\n'),
    expected: ['YAML syntax error: Flow map in block collection must be sufficiently indented and end with a } (line 4, column 1)'],
  },
  {
    name: 'top level is a list',
    yaml: '- mixed-port: 7890\n- mode: rule\n',
    expected: ['expected a mapping of settings (mixed-port, proxies, proxy-groups, rules...) at the top level, got a list (line 1)'],
  },
  {
    name: 'empty file',
    yaml: '# nothing but a comment\n',
    expected: ['the profile is empty; expected a mapping of settings (mixed-port, proxies, proxy-groups, rules...)'],
  },
  {
    name: 'mixed-port "abc"',
    yaml: 'mixed-port: abc\n',
    expected: ['mixed-port: expected an integer 1-65535, got "abc" (line 1)'],
  },
  {
    name: 'a list where a mapping is expected',
    yaml: ['proxy-providers:', '  - sub1', '  - sub2'].join('\n'),
    expected: ['proxy-providers: expected a mapping of provider names to settings, got a list (line 2)'],
  },
  {
    name: 'a mapping where a list is expected',
    yaml: ['proxies:', '  a: { type: direct }'].join('\n'),
    expected: ['proxies: expected a list of proxies, got a mapping (line 2)'],
  },
  {
    name: 'a proxy entry that is a list',
    yaml: ['proxies:', '  - [a, direct]'].join('\n'),
    expected: ['proxies[0]: expected a mapping with name, type, server and port, got a list (line 2)'],
  },
  {
    name: 'a password of the wrong kind is not repeated',
    yaml: ['proxies:', '  - { name: a, type: ss, server: h, port: 1, cipher: aes-128-gcm, password: 123456 }'].join('\n'),
    expected: ['proxies[0].password: expected a non-empty string (value hidden) (line 2)'],
  },
  {
    name: 'http provider without a url',
    yaml: ['proxy-providers:', '  sub1: { type: http, interval: 3600 }'].join('\n'),
    expected: ['proxy-providers.sub1.url: expected an http(s) URL for an http provider, got nothing (line 2)'],
  },
  {
    name: 'bad external-controller',
    yaml: 'external-controller: localhost\n',
    expected: ['external-controller: expected host:port like 127.0.0.1:9090, got "localhost" (line 1)'],
  },
  {
    name: 'every problem is reported, not just the first',
    yaml: ['mixed-port: 0', 'mode: fast', 'proxies:', '  - { name: a, type: socks5, server: h, port: x }', 'rules:', '  - MATCH,b'].join('\n'),
    expected: [
      'mixed-port: expected an integer 1-65535, got 0 (line 1)',
      'mode: expected one of rule, global, direct, got "fast" (line 2)',
      'proxies[0].port: expected an integer 1-65535, got "x" (line 4)',
      'rules[0]: expected a target that is the name of a proxy, a group, DIRECT or REJECT, got "b" (line 6)',
    ],
  },
];

describe('loadProfile rejects broken profiles with exact messages', () => {
  it.each(cases)('$name', ({ yaml, expected }) => {
    expect(problems(yaml)).toEqual(expected);
  });

  it('never repeats a password or a subscription token in its messages', () => {
    const yaml = [
      'authentication: ["nocolonsecret"]',
      'proxy-providers:',
      '  sub1: { type: http, url: "ftp://host/?token=tok3n" }',
      'proxies:',
      '  - { name: a, type: socks5, server: h, port: 1, username: u, password: [hunter2] }',
    ].join('\n');
    const text = problems(yaml).join('\n');
    expect(text).toContain('authentication[0]');
    expect(text).toContain('proxy-providers.sub1.url');
    expect(text).toContain('proxies[0].password');
    for (const secret of ['nocolonsecret', 'tok3n', 'hunter2']) expect(text).not.toContain(secret);
  });

  it('never repeats credentials from a section of the wrong kind or from a YAML syntax error', () => {
    expect(problems('authentication: "alice:hunter2"\n')).toEqual(['authentication: expected a list of "user:pass" entries (value hidden) (line 1)']);
    const syntax = problems(['proxies:', '  - name: a', '    password: hunter2: x'].join('\n')).join('\n');
    expect(syntax).toMatch(/^YAML syntax error: .* \(line 3, column \d+\)$/);
    expect(syntax).not.toContain('hunter2');
  });
});
