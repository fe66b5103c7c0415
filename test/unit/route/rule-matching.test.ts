import { describe, expect, it } from 'vitest';
import { compileProfileRules } from '../../../core/route/routing.js';
import { Router } from '../../../core/route/router.js';
import { HostResolver } from '../../../core/route/resolver.js';
import { meta, spec, type MetaInit } from './helpers.js';

/** A router over the given rule lines (each through the loader's parser), with a real system resolver. */
function routerFor(lines: string[], resolver = new HostResolver()) {
  const { rules, problems, skipped } = compileProfileRules(lines.map(spec));
  expect(problems).toEqual([]);
  expect([...skipped.keys()]).toEqual([]);
  return new Router(rules, { resolver, serverPort: () => undefined });
}

/** Which target the first matching rule names, or null when none matches. */
async function targetOf(lines: string[], m: MetaInit | string, resolver?: HostResolver): Promise<string | null> {
  return (await routerFor(lines, resolver).decide(meta(m)))?.target ?? null;
}

type Case = [rule: string, destination: MetaInit | string, matches: boolean];

const table: Record<string, Case[]> = {
  DOMAIN: [
    ['DOMAIN,example.com,HIT', 'example.com', true],
    ['DOMAIN,example.com,HIT', 'EXAMPLE.com.', true],
    ['DOMAIN,example.com,HIT', 'www.example.com', false],
    ['DOMAIN,example.com,HIT', 'example.com.cn', false],
  ],
  'DOMAIN-SUFFIX': [
    ['DOMAIN-SUFFIX,example.com,HIT', 'example.com', true],
    ['DOMAIN-SUFFIX,example.com,HIT', 'a.b.example.com', true],
    ['DOMAIN-SUFFIX,example.com,HIT', 'badexample.com', false],
    ['DOMAIN-SUFFIX,com,HIT', 'x.com', true],
    ['DOMAIN-SUFFIX,example.com,HIT', 'com', false],
  ],
  'DOMAIN-KEYWORD': [
    ['DOMAIN-KEYWORD,goog,HIT', 'www.google.com', true],
    ['DOMAIN-KEYWORD,GOOG,HIT', 'www.Google.com', true],
    ['DOMAIN-KEYWORD,goog,HIT', 'example.com', false],
    // Domain rules look at names only, never at an IP literal's text.
    ['DOMAIN-KEYWORD,10,HIT', '10.0.0.1', false],
  ],
  'DOMAIN-REGEX': [
    ['DOMAIN-REGEX,^ad[0-9]+\\.example\\.(com|net)$,HIT', 'ad12.example.net', true],
    ['DOMAIN-REGEX,^ad[0-9]+\\.example\\.(com|net)$,HIT', 'ad.example.net', false],
    ['DOMAIN-REGEX,(?i)^API\\.,HIT', 'api.example.com', true],
    ['DOMAIN-REGEX,.*,HIT', '192.168.1.1', false],
  ],
  'IP-CIDR': [
    ['IP-CIDR,10.0.0.0/8,HIT,no-resolve', '10.1.2.3', true],
    ['IP-CIDR,10.0.0.0/8,HIT,no-resolve', '11.1.2.3', false],
    ['IP-CIDR,10.0.0.0/8,HIT,no-resolve', '::ffff:10.0.0.1', true],
    ['IP-CIDR,10.0.0.0/8,HIT,no-resolve', 'ten.example', false],
    ['IP-CIDR,192.168.1.128/25,HIT,no-resolve', '192.168.1.200', true],
    ['IP-CIDR,192.168.1.128/25,HIT,no-resolve', '192.168.1.127', false],
    ['IP-CIDR,0.0.0.0/0,HIT,no-resolve', '8.8.8.8', true],
    ['IP-CIDR,0.0.0.0/0,HIT,no-resolve', '2001:db8::1', false],
    ['IP-CIDR,fd00::/8,HIT,no-resolve', '10.0.0.1', false],
  ],
  'IP-CIDR6': [
    ['IP-CIDR6,fd00::/8,HIT', 'fd12::1', true],
    ['IP-CIDR6,fd00::/8,HIT', 'fe80::1', false],
    ['IP-CIDR6,2001:db8:abcd::/48,HIT', '2001:db8:abcd:12::1', true],
    ['IP-CIDR6,2001:db8:abcd::/48,HIT', '2001:db8:abce::1', false],
    ['IP-CIDR6,::1/128,HIT', '::1', true],
    ['IP-CIDR6,::/0,HIT', '10.0.0.1', false],
  ],
  'SRC-IP-CIDR': [
    ['SRC-IP-CIDR,192.168.0.0/16,HIT', { host: 'example.com', src: '192.168.3.4' }, true],
    ['SRC-IP-CIDR,192.168.0.0/16,HIT', { host: 'example.com', src: '10.0.0.1' }, false],
    ['SRC-IP-CIDR,fd00::/8,HIT', { host: 'example.com', src: 'fd00::5' }, true],
    ['IP-CIDR,127.0.0.0/8,HIT,src', { host: '8.8.8.8', src: '127.0.0.1' }, true],
    ['IP-CIDR,127.0.0.0/8,HIT,src', { host: '127.0.0.1', src: '10.0.0.1' }, false],
  ],
  'DST-PORT': [
    ['DST-PORT,443,HIT', { host: 'example.com', port: 443 }, true],
    ['DST-PORT,443,HIT', { host: 'example.com', port: 80 }, false],
    ['DST-PORT,8000-9000,HIT', { host: 'example.com', port: 9000 }, true],
    ['DST-PORT,8000-9000,HIT', { host: 'example.com', port: 9001 }, false],
    ['DST-PORT,22/80/8000-8080,HIT', { host: 'example.com', port: 8080 }, true],
    ['DST-PORT,22/80/8000-8080,HIT', { host: 'example.com', port: 23 }, false],
  ],
  'SRC-PORT': [
    ['SRC-PORT,50000-50010,HIT', { host: 'example.com', srcPort: 50005 }, true],
    ['SRC-PORT,50000-50010,HIT', { host: 'example.com', srcPort: 49999 }, false],
  ],
  NETWORK: [
    ['NETWORK,tcp,HIT', { host: 'example.com', network: 'tcp' }, true],
    ['NETWORK,UDP,HIT', { host: 'example.com', network: 'udp' }, true],
    ['NETWORK,udp,HIT', { host: 'example.com', network: 'tcp' }, false],
  ],
  'PROCESS-NAME': [
    ['PROCESS-NAME,curl,HIT', { host: 'example.com', process: { name: 'curl', path: '/usr/bin/curl', pid: 7 } }, true],
    ['PROCESS-NAME,Firefox.exe,HIT', { host: 'example.com', process: { name: 'firefox.exe', pid: 7 } }, true],
    ['PROCESS-NAME,curl,HIT', { host: 'example.com', process: { name: 'wget', path: '/usr/bin/wget', pid: 7 } }, false],
  ],
  'PROCESS-PATH': [
    ['PROCESS-PATH,/usr/bin/curl,HIT', { host: 'example.com', process: { name: 'curl', path: '/usr/bin/curl', pid: 7 } }, true],
    ['PROCESS-PATH,/usr/bin/curl,HIT', { host: 'example.com', process: { name: 'curl', path: '/opt/bin/curl', pid: 7 } }, false],
    ['PROCESS-PATH,/usr/bin/curl,HIT', { host: 'example.com', process: { name: 'curl', pid: 7 } }, false],
  ],
  'AND / OR / NOT': [
    ['AND,((DOMAIN-SUFFIX,example.com),(DST-PORT,443)),HIT', { host: 'a.example.com', port: 443 }, true],
    ['AND,((DOMAIN-SUFFIX,example.com),(DST-PORT,443)),HIT', { host: 'a.example.com', port: 80 }, false],
    ['OR,((DOMAIN,a.test),(DOMAIN,b.test)),HIT', 'b.test', true],
    ['OR,((DOMAIN,a.test),(DOMAIN,b.test)),HIT', 'c.test', false],
    ['NOT,((DOMAIN-SUFFIX,example.com)),HIT', 'example.org', true],
    ['NOT,((DOMAIN-SUFFIX,example.com)),HIT', 'www.example.com', false],
    ['AND,((NETWORK,tcp),(OR,((DST-PORT,80),(NOT,((DOMAIN-KEYWORD,cdn)))))),HIT', { host: 'cdn.example.com', port: 80 }, true],
    ['AND,((NETWORK,tcp),(OR,((DST-PORT,80),(NOT,((DOMAIN-KEYWORD,cdn)))))),HIT', { host: 'cdn.example.com', port: 443 }, false],
    ['AND,((NETWORK,tcp),(OR,((DST-PORT,80),(NOT,((DOMAIN-KEYWORD,cdn)))))),HIT', { host: 'www.example.com', port: 443 }, true],
    ['AND,((IP-CIDR,fd00::/8,no-resolve),(SRC-IP-CIDR,127.0.0.0/8)),HIT', 'fd00::9', true],
    ['AND,((PROCESS-NAME,curl),(DST-PORT,443)),HIT', { host: 'x.test', process: { name: 'curl', pid: 1 } }, true],
  ],
  MATCH: [['MATCH,HIT', 'anything.test', true]],
};

describe('every rule type matches what it should and nothing else', () => {
  for (const [type, cases] of Object.entries(table)) {
    it.each(cases)(`${type}: %s vs %j → %s`, async (rule, destination, matches) => {
      expect(await targetOf([rule], destination)).toBe(matches ? 'HIT' : null);
    });
  }
});

describe('names and IP rules: resolve unless no-resolve', () => {
  it('an IP rule without no-resolve resolves the name (localhost → loopback) and matches its address', async () => {
    const resolver = new HostResolver();
    expect(await targetOf(['IP-CIDR,127.0.0.0/8,V4', 'IP-CIDR6,::1/128,V6', 'MATCH,OTHER'], 'localhost', resolver)).toMatch(/^V[46]$/);
    expect(resolver.queries).toBe(1);
  });

  it('with no-resolve the name is never resolved and the rule does not match it', async () => {
    const resolver = new HostResolver();
    expect(await targetOf(['IP-CIDR,127.0.0.0/8,LOOP,no-resolve', 'IP-CIDR6,::1/128,LOOP,no-resolve', 'MATCH,OTHER'], 'localhost', resolver)).toBe('OTHER');
    expect(resolver.queries).toBe(0);
  });

  it('a name matched by an earlier domain rule is never resolved', async () => {
    const resolver = new HostResolver();
    expect(await targetOf(['DOMAIN,localhost,NAME', 'IP-CIDR,127.0.0.0/8,LOOP'], 'localhost', resolver)).toBe('NAME');
    expect(resolver.queries).toBe(0);
  });

  it('resolves once per connection, and the cache answers the next connection', async () => {
    const resolver = new HostResolver();
    const router = routerFor(['IP-CIDR,10.0.0.0/8,A', 'IP-CIDR,192.168.0.0/16,B', 'IP-CIDR6,fd00::/8,C', 'IP-CIDR,127.0.0.0/8,LOOP', 'IP-CIDR6,::1/128,LOOP'], resolver);
    expect((await router.decide(meta('localhost')))?.target).toBe('LOOP');
    expect((await router.decide(meta('LOCALHOST.')))?.target).toBe('LOOP');
    expect(resolver.queries).toBe(1);
  });

  it('a name that does not resolve matches no IP rule and falls through', async () => {
    const resolver = new HostResolver({ timeoutMs: 3000 });
    expect(await targetOf(['IP-CIDR,0.0.0.0/0,ANY', 'IP-CIDR6,::/0,ANY', 'MATCH,FINAL'], 'no-such-name.invalid', resolver)).toBe('FINAL');
  });

  it('answers without waiting when no rule ahead of the match needs a resolved name', () => {
    const router = routerFor(['DOMAIN-SUFFIX,test,FAST', 'IP-CIDR,127.0.0.0/8,LOOP']);
    const answer = router.decide(meta('x.test'));
    expect(answer).not.toBeInstanceOf(Promise);
    expect(answer).toMatchObject({ target: 'FAST', type: 'DOMAIN-SUFFIX', payload: 'test' });
  });
});

describe('first match wins across indexed and linear rules', () => {
  const rules = [
    'DOMAIN-KEYWORD,shop,KEYWORD', // linear, first
    'DOMAIN-SUFFIX,example.com,SUFFIX', // indexed
    'DOMAIN-REGEX,^api\\.,REGEX', // linear, after an indexed rule
    'DOMAIN,api.example.org,EXACT', // indexed, after the regex
    'AND,((DST-PORT,8443),(NETWORK,tcp)),LOGIC',
    'DST-PORT,8443,PORT',
    'IP-CIDR,10.0.0.0/8,CIDR,no-resolve',
    'NOT,((SRC-IP-CIDR,127.0.0.0/8)),REMOTE',
    'MATCH,FINAL',
  ];
  it.each([
    ['shop.example.com', 443, 'KEYWORD'], // an earlier linear rule beats a later indexed hit
    ['www.example.com', 443, 'SUFFIX'],
    ['api.example.com', 443, 'SUFFIX'], // an earlier indexed hit beats a later regex
    ['api.example.org', 443, 'REGEX'], // an earlier regex beats a later exact DOMAIN
    ['other.org', 8443, 'LOGIC'],
    ['10.1.1.1', 8443, 'LOGIC'],
    ['10.1.1.1', 80, 'CIDR'],
    ['other.org', 80, 'FINAL'],
  ])('%s:%d → %s', async (host, port, target) => {
    expect(await targetOf(rules, { host, port })).toBe(target);
  });

  it('records the rule that matched: type and payload', async () => {
    const router = routerFor(rules);
    expect(await router.decide(meta({ host: 'api.example.org', port: 1 }))).toEqual({ target: 'REGEX', type: 'DOMAIN-REGEX', payload: '^api\\.' });
  });
});
