import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/adapter/errors.js';
import { createProtocolRegistry } from '../../../core/protocol/index.js';
import { listenAddress, loadProfile, loadProfileFile, parseRule, stringifyProfile } from '../../../core/config/index.js';
import { testRegistry } from './test-registry.js';

const fullPath = fileURLToPath(new URL('../../fixtures/profiles/full.yaml', import.meta.url));
const fullYaml = readFileSync(fullPath, 'utf8');

describe('loadProfile on valid profiles', () => {
  it('reads the DESIGN.md-shaped profile into plain data with defaults filled', () => {
    const { profile, warnings } = loadProfile(fullYaml, testRegistry());
    expect(warnings).toEqual([]);
    expect(profile.mixedPort).toBe(7891);
    expect(profile.bindAddress).toBeUndefined();
    expect(profile.allowLan).toBe(false);
    expect(listenAddress(profile)).toBe('127.0.0.1');
    expect(profile.authentication).toEqual([{ username: 'alice', password: 's3cret:with:colons' }]);
    expect(profile.mode).toBe('rule'); // written as "Rule"
    expect(profile.logLevel).toBe('info');
    expect(profile.externalController).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(profile.secret).toBe('abc123');
    expect(profile.proxies.map((p) => [p.name, p.type])).toEqual([['jp1', 'ss'], ['jp2', 'ss'], ['hk1', 'socks5'], ['home', 'direct']]);
    expect(profile.proxies[0]).toEqual({ name: 'jp1', type: 'ss', server: '127.0.0.1', port: 8388, cipher: 'aes-128-gcm', password: 'x', weight: 2 });
    expect(profile.proxyProviders).toEqual({
      sub1: {
        type: 'http',
        url: 'https://sub.example.com/clash?token=abc',
        interval: 86400,
        healthCheck: { enable: true, url: 'http://cp.cloudflare.com/generate_204', interval: 300 },
      },
    });
    expect(profile.proxyGroups[0]).toEqual({
      name: 'auto',
      type: 'load-balance',
      strategy: 'weighted-round-robin',
      proxies: ['jp1', 'jp2'],
      use: ['sub1'],
      backup: ['hk1'],
      url: 'http://cp.cloudflare.com/generate_204',
      interval: 300,
      timeout: 5000,
      tolerance: 50,
      maxFailedTimes: 5,
      failTimeout: 30,
    });
    // load-balance without a strategy gets round-robin; other types get none (their type implies it).
    expect(profile.proxyGroups.map((g) => [g.name, g.strategy])).toEqual([
      ['auto', 'weighted-round-robin'],
      ['fast', undefined],
      ['spread', 'round-robin'],
      ['choose', undefined],
    ]);
    expect(profile.proxyGroups[3].proxies).toEqual(['spread', 'DIRECT', 'REJECT', 'home']);
    expect(profile.rules).toEqual([
      { type: 'PROCESS-NAME', payload: 'firefox', target: 'auto', options: [] },
      { type: 'DOMAIN-SUFFIX', payload: 'example.com', target: 'DIRECT', options: [] },
      { type: 'IP-CIDR', payload: '10.0.0.0/8', target: 'DIRECT', options: ['no-resolve'] },
      { type: 'DST-PORT', payload: '25', target: 'REJECT', options: [] },
      { type: 'MATCH', payload: '', target: 'choose', options: [] },
    ]);
    expect(profile.extra).toEqual({});
  });

  it('fills every default for a profile that only has a rule', () => {
    const { profile, warnings } = loadProfile('rules: ["MATCH,DIRECT"]\n', createProtocolRegistry());
    expect(warnings).toEqual([]);
    expect(profile).toEqual({
      mixedPort: 7890,
      allowLan: false,
      authentication: [],
      mode: 'rule',
      logLevel: 'info',
      proxies: [],
      proxyProviders: {},
      proxyGroups: [],
      rules: [{ type: 'MATCH', payload: '', target: 'DIRECT', options: [] }],
      extra: {},
    });
  });

  it('treats empty sections as absent, the way Clash templates leave them', () => {
    const { profile } = loadProfile('proxies:\nproxy-groups:\nrules:\nmode:\n', createProtocolRegistry());
    expect(profile.proxies).toEqual([]);
    expect(profile.proxyGroups).toEqual([]);
    expect(profile.rules).toEqual([]);
    expect(profile.mode).toBe('rule');
  });

  it('works with the real registry for direct and reject entries', () => {
    const yaml = ['proxies:', '  - { name: out, type: direct }', '  - { name: block, type: reject }', 'rules: ["DOMAIN,ads.example,block", "MATCH,out"]'].join('\n');
    const { profile } = loadProfile(yaml, createProtocolRegistry());
    expect(profile.proxies).toEqual([{ name: 'out', type: 'direct' }, { name: 'block', type: 'reject' }]);
    expect(profile.rules.map((r) => r.target)).toEqual(['block', 'out']);
  });

  it('reads mode and log-level case-insensitively, as Clash does', () => {
    const { profile } = loadProfile('mode: GLOBAL\nlog-level: Warning\n', createProtocolRegistry());
    expect(profile.mode).toBe('global');
    expect(profile.logLevel).toBe('warning');
  });

  it('accepts a type alias the protocol registers (socks for socks5)', () => {
    const { profile } = loadProfile('proxies:\n  - { name: s, type: socks, server: h, port: 1080 }\n', testRegistry());
    expect(profile.proxies[0]).toEqual({ name: 's', type: 'socks', server: 'h', port: 1080 });
  });

  it('follows YAML merge keys, which Clash profiles use for shared proxy fields', () => {
    const yaml = [
      'base: &base { type: ss, port: 8388, cipher: aes-128-gcm, password: pw }',
      'proxies:',
      '  - { <<: *base, name: a, server: 10.0.0.1 }',
      '  - { <<: *base, name: b, server: 10.0.0.2, port: 9000 }',
    ].join('\n');
    const { profile } = loadProfile(yaml, testRegistry());
    expect(profile.proxies.map((p) => [p.name, p.server, p.port, p.cipher])).toEqual([
      ['a', '10.0.0.1', 8388, 'aes-128-gcm'],
      ['b', '10.0.0.2', 9000, 'aes-128-gcm'],
    ]);
  });

  it('parses logical rules whose payload holds commas inside parentheses', () => {
    expect(parseRule('AND,((DOMAIN,a.com),(NETWORK,UDP)),REJECT')).toEqual({
      rule: { type: 'AND', payload: '((DOMAIN,a.com),(NETWORK,UDP))', target: 'REJECT', options: [] },
    });
    expect(parseRule('dst-port, 8000-9000/443 , DIRECT')).toEqual({ rule: { type: 'DST-PORT', payload: '8000-9000/443', target: 'DIRECT', options: [] } });
    expect(parseRule('DST-PORT,9000-8000,DIRECT')).toEqual({ error: 'expected a port or range like 443 or 8000-9000 for DST-PORT, got "9000-8000"' });
    expect(parseRule('NOT,((DOMAIN,a.com),DIRECT')).toEqual({ error: 'expected balanced parentheses in the rule, got "NOT,((DOMAIN,a.com),DIRECT"' });
  });
});

describe('listen address (mihomo semantics)', () => {
  const load = (yaml: string) => loadProfile(yaml, createProtocolRegistry());

  it('binds every interface with allow-lan unless bind-address names one', () => {
    expect(listenAddress(load('allow-lan: true\n').profile)).toBe('0.0.0.0');
    expect(listenAddress(load('allow-lan: true\nbind-address: "*"\n').profile)).toBe('0.0.0.0');
    expect(listenAddress(load('allow-lan: true\nbind-address: 192.168.1.5\n').profile)).toBe('192.168.1.5');
  });

  it('stays on loopback without allow-lan, and says so when bind-address asked for more', () => {
    const { profile, warnings } = load('bind-address: 0.0.0.0\n');
    expect(listenAddress(profile)).toBe('127.0.0.1');
    expect(warnings).toEqual(['bind-address 0.0.0.0 has no effect while allow-lan is false; listening on 127.0.0.1']);
    expect(listenAddress(load('bind-address: "::1"\n').profile)).toBe('::1');
  });
});

describe('unknown keys', () => {
  const yaml = [
    'port: 7891',
    'socks-port: 7892',
    'dns: { enable: true, nameserver: [223.5.5.5] }',
    'tun: { enable: false }',
    'proxies:',
    '  - { name: a, type: ss, server: h, port: 1, cipher: aes-128-gcm, password: pw, tfo: true, udp-over-tcp: true }',
    '  - { name: b, type: direct, tfo: true }',
    'proxy-providers:',
    '  sub1: { type: file, path: ./sub1.yaml, filter: "JP", health-check: { enable: true, expected-status: 204 } }',
    'proxy-groups:',
    '  - { name: g, type: url-test, proxies: [a, b], filter: "HK", strategy: round-robin }',
    '  - { name: h, type: select, proxies: [g], use: [sub1], hidden: true }',
    'rules:',
    '  - DOMAIN,x.com,REJECT-DROP',
    '  - MATCH,g',
    '  - DOMAIN,never.example,DIRECT',
  ].join('\n');

  it('are reported once each, never fatal, and kept for export', () => {
    const { profile, warnings } = loadProfile(yaml, testRegistry());
    expect(warnings).toEqual([
      'ignored unknown key "dns" at top level',
      'ignored unknown key "tun" at top level',
      'ignored "port": Switchyard serves SOCKS5 and HTTP together on mixed-port (7890); set mixed-port to choose the port',
      'ignored "socks-port": Switchyard serves SOCKS5 and HTTP together on mixed-port (7890); set mixed-port to choose the port',
      'ignored unknown key "tfo" at proxies[0]',
      'ignored unknown key "udp-over-tcp" at proxies[0]',
      'ignored unknown key "tfo" at proxies[1]',
      'ignored unknown key "filter" at proxy-groups[0]',
      'ignored strategy at proxy-groups[0]: only load-balance groups use one (url-test has its own)',
      'ignored unknown key "hidden" at proxy-groups[1]',
      'rules[2] is never reached: MATCH at rules[1] matches everything first',
      'rules[0]: REJECT-DROP is treated as REJECT',
    ]);
    expect(profile.extra).toEqual({ port: 7891, 'socks-port': 7892, dns: { enable: true, nameserver: ['223.5.5.5'] }, tun: { enable: false } });
    expect(profile.proxies[0]).toMatchObject({ tfo: true, 'udp-over-tcp': true });
    expect(profile.proxyGroups[0].extra).toEqual({ filter: 'HK', strategy: 'round-robin' });
    expect(profile.proxyGroups[0].strategy).toBeUndefined();
    expect(profile.proxyProviders.sub1).toEqual({
      type: 'file',
      path: './sub1.yaml',
      extra: { filter: 'JP' },
      healthCheck: { enable: true, extra: { 'expected-status': 204 } },
    });
    expect(profile.rules[0].target).toBe('REJECT');
  });

  it('are reported once per place: a key arriving through a YAML merge key counts once', () => {
    const yaml = [
      'x-note: 1',
      'common: &common { type: direct, tfo: true }',
      'proxies:',
      '  - { <<: *common, name: a, tfo: false }',
      '  - { <<: *common, name: b }',
      'proxy-groups:',
      '  - { name: g, type: select, proxies: [a, b], tfo: true }',
    ].join('\n');
    const { profile, warnings } = loadProfile(yaml, testRegistry());
    expect(warnings).toEqual([
      'ignored unknown key "x-note" at top level',
      'ignored unknown key "common" at top level',
      'ignored unknown key "tfo" at proxies[0]',
      'ignored unknown key "tfo" at proxies[1]',
      'ignored unknown key "tfo" at proxy-groups[0]',
    ]);
    expect(profile.proxies).toEqual([{ name: 'a', type: 'direct', tfo: false }, { name: 'b', type: 'direct', tfo: true }]);
  });
});

describe('stringifyProfile', () => {
  it('round-trips the full profile: load(stringify(p)) equals p', () => {
    const first = loadProfile(fullYaml, testRegistry());
    const text = stringifyProfile(first.profile);
    const second = loadProfile(text, testRegistry());
    expect(second.profile).toEqual(first.profile);
    expect(second.warnings).toEqual(first.warnings);
  });

  it('round-trips kept unknown sections, keys and notices', () => {
    const yaml = [
      'bind-address: "::1"',
      'allow-lan: true',
      'external-controller: "[::1]:9090"',
      'dns: { enable: true, nameserver: [223.5.5.5], fallback-filter: { geoip: true } }',
      'proxies:',
      '  - { name: a, type: ss, server: h, port: 1, cipher: aes-128-gcm, password: "0123", tfo: true }',
      'proxy-providers:',
      '  sub1: { type: http, url: "https://s.example/x?token=1", filter: JP, health-check: { enable: true, expected-status: 204 } }',
      'proxy-groups:',
      '  - { name: g, type: fallback, proxies: [a, REJECT-DROP], use: [sub1], strategy: random, lazy: false, idle-timeout: 600 }',
      'rules: ["GEOIP,CN,DIRECT,no-resolve", "AND,((DOMAIN,a.com),(NETWORK,UDP)),g", "MATCH,g"]',
    ].join('\n');
    const first = loadProfile(yaml, testRegistry());
    expect(first.profile.externalController).toEqual({ host: '::1', port: 9090 });
    expect(first.profile.proxies[0].password).toBe('0123');
    const second = loadProfile(stringifyProfile(first.profile), testRegistry());
    expect(second.profile).toEqual(first.profile);
    expect(listenAddress(second.profile)).toBe('::1');
  });
});

describe('loadProfileFile', () => {
  it('loads a profile from disk', async () => {
    const { profile } = await loadProfileFile(fullPath, testRegistry());
    expect(profile.proxyGroups.map((g) => g.name)).toEqual(['auto', 'fast', 'spread', 'choose']);
  });

  it('turns an unreadable file into a ConfigError', async () => {
    const missing = fullPath.replace('full.yaml', 'does-not-exist.yaml');
    const err = await loadProfileFile(missing, testRegistry()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toEqual([{ path: '', message: `cannot read the profile ${JSON.stringify(missing)}: ENOENT` }]);
  });
});

describe('hostile keys', () => {
  it('keeps a YAML key named __proto__ as a plain key instead of a prototype', () => {
    const yaml = ['__proto__: { polluted: 1 }', 'proxies:', '  - { name: a, type: direct, __proto__: { polluted: 2 } }', 'proxy-groups:', '  - { name: g, type: select, proxies: [a], __proto__: { polluted: 3 } }'].join('\n');
    const { profile } = loadProfile(yaml, testRegistry());
    for (const obj of [profile.extra, profile.proxies[0], profile.proxyGroups[0].extra!]) {
      expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
      expect(Object.keys(obj)).toContain('__proto__');
      expect((obj as { polluted?: number }).polluted).toBeUndefined();
    }
    const again = loadProfile(stringifyProfile(profile), testRegistry()).profile;
    expect(Object.getOwnPropertyDescriptor(again.proxyGroups[0].extra, '__proto__')?.value).toEqual({ polluted: 3 });
  });
});
