import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  SubscriptionError,
  createNameDeduplicator,
  exportSubscription,
  parseLink,
  parseSubscription,
  type ProxyConfig,
} from '../../../core/subscription/index.js';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../fixtures/subscriptions/${name}`, import.meta.url)));
const fixtureText = (name: string) => fixture(name).toString('utf8');

/** What parseSubscription must throw, matched on code and on the words of the message. */
function parseFails(body: string | Buffer): SubscriptionError {
  try {
    parseSubscription(body);
  } catch (e) {
    expect(e).toBeInstanceOf(SubscriptionError);
    return e as SubscriptionError;
  }
  throw new Error('parseSubscription did not throw');
}

/** The proxies links.txt holds, read link by link (names before de-duplication). */
const linksTxt = fixtureText('links.txt').trim().split('\n');
const expectedFromLinks = linksTxt.map((l) => parseLink(l)).flatMap((r) => ('ok' in r ? [r.ok] : []));

describe('parseSubscription: link lists', () => {
  it('reads a plain list, keeps the unsupported link, numbers the repeated name', () => {
    const r = parseSubscription(fixtureText('links.txt'));
    expect(r.format).toBe('plain');
    expect(r.errors).toEqual([]);
    expect(r.proxies.map((p) => p.name)).toEqual([
      '香港 01', 'SS 2022 v6', 'obfs', '香港 01 2', '日本 02', '🇸🇬 Singapore', 'US gRPC', 'Trojan WS', 'SOCKS', 'HTTPS', '香港 01 3',
    ]);
    expect(r.proxies.map((p) => p.type)).toEqual(['ss', 'ss', 'ss', 'vmess', 'vmess', 'vless', 'vless', 'trojan', 'socks5', 'http', 'ss']);
    expect(r.unsupported).toEqual([
      { unsupported: true, scheme: 'hysteria2', link: linksTxt[8], name: 'Hysteria', reason: 'Hysteria 2 (hysteria2://) is not supported yet' },
    ]);
    // Apart from names, every proxy is exactly what its link reads to.
    expect(r.proxies.map((p) => ({ ...p, name: '' }))).toStrictEqual(expectedFromLinks.map((p) => ({ ...p, name: '' })));
  });

  it('the same list as standard padded base64 on one line gives the same result', () => {
    const plain = parseSubscription(fixtureText('links.txt'));
    const r = parseSubscription(fixtureText('base64-standard.txt'));
    expect(r.format).toBe('base64');
    expect(r.proxies).toStrictEqual(plain.proxies);
    expect(r.unsupported).toStrictEqual(plain.unsupported);
  });

  it('reads URL-safe unpadded base64 wrapped with CRLF, given as a Buffer', () => {
    const body = fixture('base64-urlsafe-crlf.txt');
    expect(body.includes('\r\n')).toBe(true);
    expect(body.toString().includes('=')).toBe(false);
    expect(/[-_]/.test(body.toString())).toBe(true);
    const r = parseSubscription(body);
    expect(r.format).toBe('base64');
    expect(r.proxies).toStrictEqual(parseSubscription(fixtureText('links.txt')).proxies);
  });

  it('a base64 body whose text starts with a byte-order mark', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('socks://192.0.2.1:1080\n')]).toString('base64');
    expect(parseSubscription(body).proxies.map((p) => p.name)).toEqual(['192.0.2.1:1080']);
  });

  it('mixed good and bad lines: the good ones, plus one error per bad line with its line number', () => {
    const r = parseSubscription(fixtureText('mixed.txt'));
    expect(r.format).toBe('plain');
    expect(r.proxies.map((p) => p.name)).toEqual(['good one', 'good two']);
    expect(r.unsupported.map((u) => u.name)).toEqual(['TUIC']);
    expect(r.errors).toEqual([
      { code: 'BAD_LINK', line: 4, message: 'line 4: vmess link: body is not valid base64' },
      { code: 'BAD_LINK', line: 5, message: 'line 5: trojan link: missing password' },
      { code: 'BAD_LINK', line: 8, message: 'line 8: share link: expected "scheme://...", got "this line is not a link"' },
      { code: 'BAD_LINK', line: 9, message: 'line 9: vless link: port: expected an integer 1-65535, got "abc"' },
    ]);
  });

  it('a base64 body cut off half-way: the links before the cut, and an error for the cut one', () => {
    const r = parseSubscription(fixtureText('base64-truncated.txt'));
    expect(r.format).toBe('base64');
    expect(r.proxies.length).toBeGreaterThan(0);
    expect(r.proxies).toStrictEqual(parseSubscription(fixtureText('links.txt')).proxies.slice(0, r.proxies.length));
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.line).toBe(r.proxies.length + 1);
    expect(r.errors[0]!.message).toMatch(/^line \d+: vmess link: /);
  });
});

describe('parseSubscription: Clash YAML', () => {
  it('keeps proxies: entries as they are and ignores groups and rules', () => {
    const r = parseSubscription(fixtureText('clash.yaml'));
    expect(r.format).toBe('clash');
    expect(r.errors).toEqual([]);
    expect(r.proxies.map((p) => p.name)).toEqual(['香港 01', '日本 02', 'sg-reality', 'trojan-v6', '香港 01 2']);
    // The merge key brought in the shared fields.
    expect(r.proxies[0]).toStrictEqual({
      name: '香港 01', type: 'ss', server: '198.51.100.10', port: 8388, cipher: 'aes-256-gcm', password: 'correct-horse', udp: true, 'skip-cert-verify': false,
    });
    expect(r.proxies[1]!['ws-opts']).toEqual({ path: '/ray', headers: { Host: 'cdn.example.com' } });
    // Unknown fields stay; a quoted port becomes a number.
    expect(r.proxies[2]).toMatchObject({ port: 443, 'some-future-field': 'kept as-is', 'reality-opts': { 'short-id': '6ba85179e30d4fc2' } });
    expect(r.unsupported).toEqual([
      {
        unsupported: true, scheme: 'hysteria2', name: 'hy2', reason: 'type "hysteria2" is not supported yet',
        proxy: { name: 'hy2', type: 'hysteria2', server: 'hy.example.com', port: 443, password: 'hy2-secret' },
      },
    ]);
  });

  it('reports bad entries with their line numbers, keeps the good ones', () => {
    const body = [
      'rules:', // line 1
      '  - MATCH,DIRECT',
      'proxies:', // line 3
      '  - { name: ok, type: socks5, server: 192.0.2.1, port: 1080 }',
      '  - { name: no-port, type: ss, server: 192.0.2.2, cipher: aes-256-gcm, password: x }', // line 5
      '  - just a string',
      '  - { type: http, server: 192.0.2.3, port: 8080 }', // line 7
      '  - name: bad-port', // line 8
      '    type: vmess',
      '    server: 192.0.2.4',
      '    port: 70000',
      'proxy-groups: []',
    ].join('\n');
    const r = parseSubscription(body);
    expect(r.proxies.map((p) => p.name)).toEqual(['ok']);
    expect(r.errors).toEqual([
      { code: 'BAD_ENTRY', line: 5, entry: 1, message: 'proxies[1] (line 5): port: expected an integer 1-65535, got nothing' },
      { code: 'BAD_ENTRY', line: 6, entry: 2, message: 'proxies[2] (line 6): expected a mapping, got "just a string"' },
      { code: 'BAD_ENTRY', line: 7, entry: 3, message: 'proxies[3] (line 7): name: expected a non-empty name, got nothing' },
      { code: 'BAD_ENTRY', line: 8, entry: 4, message: 'proxies[4] (line 8): port: expected an integer 1-65535, got 70000' },
    ]);
  });

  it('reads proxies that use an anchor defined outside the proxies: block', () => {
    const body = 'base: &b {type: socks5, server: 192.0.2.9, port: 1080}\nproxies:\n  - {<<: *b, name: one}\n  - {<<: *b, name: two, port: 1081}\n';
    const r = parseSubscription(body);
    expect(r.proxies).toStrictEqual([
      { type: 'socks5', server: '192.0.2.9', port: 1080, name: 'one' },
      { type: 'socks5', server: '192.0.2.9', port: 1081, name: 'two' },
    ]);
  });

  it('reads a Clash profile written as JSON (JSON is YAML)', () => {
    const r = parseSubscription('{"proxies": [{"name": "j", "type": "socks5", "server": "192.0.2.1", "port": 1080}], "rules": []}');
    expect(r.format).toBe('clash');
    expect(r.proxies).toStrictEqual([{ name: 'j', type: 'socks5', server: '192.0.2.1', port: 1080 }]);
  });

  it('a YAML syntax error is an unrecognised subscription naming the line', () => {
    const e = parseFails('proxies:\n  - {name: a, type: ss\n  - name: b\n');
    expect(e.code).toBe('UNRECOGNISED_SUBSCRIPTION');
    expect(e.message).toMatch(/^Clash YAML with an error at line \d+: /);
  });

  it('a Clash profile without proxies, or with an empty list', () => {
    expect(parseFails('mixed-port: 7890\nproxy-providers:\n  sub: {type: http, url: "https://example.com/sub"}\n').message).toBe(
      'unrecognised subscription: a Clash profile without a proxies: list',
    );
    const e = parseFails('proxies: []\nrules: []\n');
    expect(e.code).toBe('EMPTY_SUBSCRIPTION');
    expect(e.message).toBe('empty subscription: Clash YAML with no servers in it');
  });
});

describe('parseSubscription: SIP008', () => {
  it('reads servers with plugins, keeps the unsupported plugin', () => {
    const r = parseSubscription(fixture('sip008.json'));
    expect(r.format).toBe('sip008');
    expect(r.errors).toEqual([]);
    expect(r.proxies).toStrictEqual([
      { name: '香港 01', type: 'ss', server: '198.51.100.10', port: 8388, cipher: 'aes-256-gcm', password: 'correct-horse' },
      {
        name: 'obfs server', type: 'ss', server: '2001:db8::11', port: 8389, cipher: 'chacha20-ietf-poly1305', password: 'obfs-pass',
        plugin: 'obfs', 'plugin-opts': { mode: 'tls', host: 'www.bing.com' },
      },
      {
        name: 'v2ray plugin', type: 'ss', server: 'ws.example.com', port: 443, cipher: 'aes-128-gcm', password: 'ws-pass',
        plugin: 'v2ray-plugin', 'plugin-opts': { mode: 'websocket', tls: true, host: 'ws.example.com', path: '/ss-ws' },
      },
    ]);
    expect(r.unsupported).toMatchObject([{ unsupported: true, scheme: 'ss', name: 'kcptun', reason: 'shadowsocks plugin "kcptun" is not supported' }]);
  });

  it('reports bad servers by index', () => {
    const body = JSON.stringify({
      version: 1,
      servers: [
        { remarks: 'a', server: '192.0.2.1', server_port: 8388, password: 'p', method: 'aes-256-gcm' },
        { remarks: 'b', server: '192.0.2.2', server_port: 'x', password: 'p', method: 'aes-256-gcm' },
        { remarks: 'c', server: '192.0.2.3', server_port: 1, method: 'aes-256-gcm' },
        { remarks: 'd', server: '192.0.2.4', server_port: 1, password: 'p', method: 'aes-256-gcm', plugin: 'obfs-local', plugin_opts: 'obfs=x' },
        'nope',
      ],
    });
    const r = parseSubscription(body);
    expect(r.proxies.map((p) => p.name)).toEqual(['a']);
    expect(r.errors).toEqual([
      { code: 'BAD_ENTRY', entry: 1, message: 'servers[1].server_port: expected an integer 1-65535, got "x"' },
      { code: 'BAD_ENTRY', entry: 2, message: 'servers[2].password: missing' },
      { code: 'BAD_ENTRY', entry: 3, message: 'servers[3].plugin_opts: plugin obfs-local: obfs: expected http or tls, got "x"' },
      { code: 'BAD_ENTRY', entry: 4, message: 'servers[4]: expected an object, got "nope"' },
    ]);
  });

  it('JSON that is not SIP008 is unrecognised', () => {
    expect(parseFails('{"status": "error", "msg": "token expired"}').message).toBe(
      'unrecognised subscription: a JSON document, but not SIP008 (it has no "servers" list)',
    );
  });
});

describe('parseSubscription: garbage', () => {
  const cases: [string, string | Buffer, string, string][] = [
    ['an HTML error page', fixture('html-error.html'), 'UNRECOGNISED_SUBSCRIPTION', 'unrecognised subscription: looks like an HTML page (title "502 Bad Gateway"), not a subscription'],
    ['an empty body', fixture('empty.txt'), 'EMPTY_SUBSCRIPTION', 'empty subscription: 0 bytes'],
    ['only whitespace', fixtureText('whitespace.txt'), 'EMPTY_SUBSCRIPTION', 'empty subscription: only whitespace (8 bytes)'],
    ['XML', '<?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>', 'UNRECOGNISED_SUBSCRIPTION', 'unrecognised subscription: looks like XML or other markup, not a subscription'],
    ['base64 of binary', Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x90, 0xc3, 0x28, 0xa0]).toString('base64'), 'UNRECOGNISED_SUBSCRIPTION', 'unrecognised subscription: base64 that decodes to 8 bytes of binary data, not text'],
    ['base64 of text without links', Buffer.from('Your subscription has expired. Please renew.').toString('base64'), 'UNRECOGNISED_SUBSCRIPTION', 'unrecognised subscription: base64 that decodes to 44 bytes of text with no share links in it'],
    ['base64 of nothing but newlines', Buffer.from('\n\n\n').toString('base64'), 'EMPTY_SUBSCRIPTION', 'empty subscription: base64 that decodes to nothing'],
    ['plain words', 'Access denied: invalid token for this subscription', 'UNRECOGNISED_SUBSCRIPTION', 'unrecognised subscription: not base64, share links, Clash YAML or SIP008 JSON; it starts with "Access denied: invalid token for this su"'],
  ];

  it.each(cases)('%s', (_title, body, code, message) => {
    const e = parseFails(body);
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
  });

  it('half a base64 body that decodes to nothing useful', () => {
    const e = parseFails(fixtureText('base64-cut-short.txt'));
    expect(e.code).toBe('UNRECOGNISED_SUBSCRIPTION');
    expect(e.message).toBe(
      'unrecognised subscription: a base64 list of links in which none of 1 entry could be read; first: line 1: ss link: body has no "@" and is not valid base64 either',
    );
    expect(e.issues).toEqual([{ code: 'BAD_LINK', line: 1, message: 'line 1: ss link: body has no "@" and is not valid base64 either' }]);
  });

  it('a list where every line is bad carries every issue', () => {
    const e = parseFails('trojan://@a.example.com:1\nvless://@b.example.com:2\n');
    expect(e.code).toBe('UNRECOGNISED_SUBSCRIPTION');
    expect(e.issues.map((i) => i.line)).toEqual([1, 2]);
  });
});

describe('exportSubscription', () => {
  const plain = parseSubscription(fixtureText('links.txt'));
  const entries = [...plain.proxies, ...plain.unsupported];

  it.each(['plain', 'base64'] as const)('%s: reads back to the same proxies and unsupported links', (format) => {
    const body = exportSubscription(entries, format);
    const back = parseSubscription(body);
    expect(back.format).toBe(format);
    expect(back.proxies).toStrictEqual(plain.proxies);
    expect(back.unsupported).toStrictEqual(plain.unsupported);
  });

  it('base64 export is standard padded base64 of one link per line', () => {
    const body = exportSubscription(plain.proxies.slice(0, 2), 'base64');
    expect(Buffer.from(body, 'base64').toString('utf8').split('\n')).toHaveLength(2);
    expect(body).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  it('clash: reads back to the same proxies; an unsupported link cannot go in', () => {
    const skipped: string[] = [];
    const body = exportSubscription(entries, 'clash', { onSkip: (_e, reason) => skipped.push(reason) });
    expect(skipped).toEqual(['Hysteria: Hysteria 2 (hysteria2://) is not supported yet; a Clash profile cannot hold it']);
    const back = parseSubscription(body);
    expect(back.format).toBe('clash');
    expect(back.proxies).toStrictEqual(plain.proxies);
  });

  it('clash: a Clash body goes out and comes back unchanged, unsupported entries included', () => {
    const yaml = parseSubscription(fixtureText('clash.yaml'));
    const back = parseSubscription(exportSubscription([...yaml.proxies, ...yaml.unsupported], 'clash'));
    expect(back.proxies).toStrictEqual(yaml.proxies);
    expect(back.unsupported).toStrictEqual(yaml.unsupported);
  });

  it('sip008: shadowsocks only, stable ids, reads back the same', () => {
    const ss = plain.proxies.filter((p) => p.type === 'ss');
    const body = exportSubscription(ss, 'sip008');
    expect(exportSubscription(ss, 'sip008')).toBe(body);
    const json = JSON.parse(body);
    expect(json.version).toBe(1);
    expect(json.servers[2]).toMatchObject({ server: '198.51.100.11', server_port: 8389, method: 'chacha20-ietf-poly1305', plugin: 'obfs-local', plugin_opts: 'obfs=http;obfs-host=www.bing.com' });
    expect(json.servers[0].id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(parseSubscription(body).proxies).toStrictEqual(ss);
    const sip = parseSubscription(fixture('sip008.json'));
    expect(parseSubscription(exportSubscription(sip.proxies, 'sip008')).proxies).toStrictEqual(sip.proxies);
  });

  it('without onSkip, an entry the format cannot hold fails the export with UNEXPORTABLE_PROXY', () => {
    expect(() => exportSubscription(plain.proxies, 'sip008')).toThrow(
      expect.objectContaining({ code: 'UNEXPORTABLE_PROXY', message: '香港 01 2: SIP008 holds only shadowsocks servers' }),
    );
  });
});

describe('names', () => {
  it('suffixes repeats in order and never reuses a name already taken', () => {
    const unique = createNameDeduplicator();
    expect(['a', 'a 2', 'a', 'a', 'b', 'a 3'].map(unique)).toEqual(['a', 'a 2', 'a 3', 'a 4', 'b', 'a 3 2']);
  });

  it('is linear: 50,000 copies of one name take well under a second', () => {
    const unique = createNameDeduplicator();
    const started = performance.now();
    let last = '';
    for (let i = 0; i < 50_000; i++) last = unique('香港 01');
    expect(last).toBe('香港 01 50000');
    expect(performance.now() - started).toBeLessThan(1000); // a scan from " 2" each time would take minutes
  });

  it('a link without a name is named host:port', () => {
    const r = parseSubscription('socks://192.0.2.1:1080\nsocks://[2001:db8::1]:1080\nsocks://192.0.2.1:1080\n');
    expect(r.proxies.map((p) => p.name)).toEqual(['192.0.2.1:1080', '[2001:db8::1]:1080', '192.0.2.1:1080 2']);
  });
});

describe('performance', () => {
  /** 5,000 servers from the fixture's links with many repeated names: linear de-duplication matters here. */
  function bigList(): string {
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++) lines.push(linksTxt[i % linksTxt.length]!);
    return lines.join('\n');
  }

  it('parses a 5,000-server base64 subscription well under a second', () => {
    const body = Buffer.from(bigList()).toString('base64');
    const started = performance.now();
    const r = parseSubscription(body);
    const ms = performance.now() - started;
    expect(r.proxies.length + r.unsupported.length).toBe(5000);
    expect(new Set(r.proxies.map((p) => p.name)).size).toBe(r.proxies.length);
    expect(ms).toBeLessThan(1000);
  });

  it('parses a 5,000-server Clash YAML body, one flow mapping per line as providers write it, well under a second', () => {
    const proxies: ProxyConfig[] = parseSubscription(bigList()).proxies;
    const body = exportSubscription(proxies, 'clash');
    expect(body.split('\n')[1]).toMatch(/^  - \{ name: /);
    const started = performance.now();
    const r = parseSubscription(body);
    const ms = performance.now() - started;
    expect(r.proxies).toStrictEqual(proxies);
    expect(ms).toBeLessThan(1000);
  });

  it('parses a 5,000-server block-style Clash YAML body (the full yaml parser) in bounded time', () => {
    const proxies: ProxyConfig[] = parseSubscription(bigList()).proxies;
    const body = stringify({ proxies });
    const started = performance.now();
    const r = parseSubscription(body);
    const ms = performance.now() - started;
    expect(r.proxies).toStrictEqual(proxies);
    // The yaml library needs ~0.3-0.8 s here on a busy 2-core machine; this bound catches a quadratic slip.
    expect(ms).toBeLessThan(4000);
  });
});
