import { describe, expect, it } from 'vitest';
import { exportLink, parseLink } from '../../../core/subscription/links/index.js';
import { BadLinkError } from '../../../core/subscription/errors.js';
import type { LinkProxy } from '../../../core/subscription/types.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
/** The vmess link our exporter writes: v2rayN's field order, every field present, numbers as strings. */
const vmessCanonical = (f: Partial<Record<string, string>>) =>
  `vmess://${b64(
    JSON.stringify({
      v: '2', ps: f.ps, add: f.add, port: f.port, id: f.id, aid: f.aid ?? '0', scy: f.scy ?? 'auto', net: f.net ?? 'tcp',
      type: f.type ?? 'none', host: f.host ?? '', path: f.path ?? '', tls: f.tls ?? '', sni: f.sni ?? '', alpn: f.alpn ?? '', fp: f.fp ?? '',
    }),
  )}`;

const UUID = 'b831381d-6324-4d53-ad4f-8cda48b30811';
const PBK = 'SbVKOEMjK0sIlbwg4akyBg5mL5KZwwB-ed4eEE7YnRc';

interface Case {
  title: string;
  link: string;
  proxy: LinkProxy;
  /** What exportLink writes; the link itself when omitted. */
  canonical?: string;
}

const cases: Case[] = [
  // ---- shadowsocks ----
  {
    title: 'ss SIP002 base64url userinfo with a unicode name',
    link: `ss://${b64url('aes-256-gcm:correct-horse')}@198.51.100.10:8388#%E9%A6%99%E6%B8%AF%2001`,
    proxy: { name: '香港 01', type: 'ss', server: '198.51.100.10', port: 8388, cipher: 'aes-256-gcm', password: 'correct-horse' },
  },
  {
    title: 'ss SIP002 with padded standard base64 and a raw unicode fragment',
    link: `ss://${b64('aes-128-gcm:p/ss+w?rd')}@ss.example.com:443#香港 01`,
    proxy: { name: '香港 01', type: 'ss', server: 'ss.example.com', port: 443, cipher: 'aes-128-gcm', password: 'p/ss+w?rd' },
    canonical: `ss://${b64url('aes-128-gcm:p/ss+w?rd')}@ss.example.com:443#%E9%A6%99%E6%B8%AF%2001`,
  },
  {
    title: 'ss 2022 cipher with percent-encoded plain userinfo and an IPv6 host',
    link: 'ss://2022-blake3-aes-128-gcm:zcBY0sSFIgeKS%2BFpG1x0Bw%3D%3D@[2001:db8::10]:8443#SS%202022',
    proxy: { name: 'SS 2022', type: 'ss', server: '2001:db8::10', port: 8443, cipher: '2022-blake3-aes-128-gcm', password: 'zcBY0sSFIgeKS+FpG1x0Bw==' },
  },
  {
    title: 'ss legacy fully-base64 form (password holding ":" and "@")',
    link: `ss://${b64('aes-128-gcm:pa:ss@word@legacy.example.com:8388')}#legacy`,
    proxy: { name: 'legacy', type: 'ss', server: 'legacy.example.com', port: 8388, cipher: 'aes-128-gcm', password: 'pa:ss@word' },
    canonical: `ss://${b64url('aes-128-gcm:pa:ss@word')}@legacy.example.com:8388#legacy`,
  },
  {
    title: 'ss without a name gets host:port',
    link: `ss://${b64url('chacha20-ietf-poly1305:pw')}@[2001:db8::1]:8388`,
    proxy: { name: '[2001:db8::1]:8388', type: 'ss', server: '2001:db8::1', port: 8388, cipher: 'chacha20-ietf-poly1305', password: 'pw' },
  },
  {
    title: 'ss with simple-obfs (obfs-local) plugin',
    link: `ss://${b64url('aes-128-gcm:test')}@192.168.100.1:8888/?plugin=obfs-local%3Bobfs%3Dhttp%3Bobfs-host%3Dwww.bing.com#obfs`,
    proxy: {
      name: 'obfs', type: 'ss', server: '192.168.100.1', port: 8888, cipher: 'aes-128-gcm', password: 'test',
      plugin: 'obfs', 'plugin-opts': { mode: 'http', host: 'www.bing.com' },
    },
  },
  {
    title: 'ss with v2ray-plugin over TLS (plugin written without the "/" and as simple-obfs order)',
    link: `ss://${b64url('aes-256-gcm:pw')}@ws.example.com:443?plugin=v2ray-plugin%3Btls%3Bhost%3Dws.example.com%3Bpath%3D%2Fss-ws#v2`,
    proxy: {
      name: 'v2', type: 'ss', server: 'ws.example.com', port: 443, cipher: 'aes-256-gcm', password: 'pw',
      plugin: 'v2ray-plugin', 'plugin-opts': { mode: 'websocket', host: 'ws.example.com', path: '/ss-ws', tls: true },
    },
    canonical: `ss://${b64url('aes-256-gcm:pw')}@ws.example.com:443/?plugin=v2ray-plugin%3Bmode%3Dwebsocket%3Btls%3Bhost%3Dws.example.com%3Bpath%3D%2Fss-ws#v2`,
  },
  // ---- vmess ----
  {
    title: 'vmess v2rayN ws + tls with sni, alpn, fingerprint, string port/aid',
    link: vmessCanonical({ ps: '香港 01', add: 'hk1.example.com', port: '443', id: 'a3482e88-686a-4a58-8126-99c9df64b7bf', net: 'ws', host: 'cdn.example.com', path: '/ray?ed=2048', tls: 'tls', sni: 'hk1.example.com', alpn: 'h2,http/1.1', fp: 'chrome' }),
    proxy: {
      name: '香港 01', type: 'vmess', server: 'hk1.example.com', port: 443, uuid: 'a3482e88-686a-4a58-8126-99c9df64b7bf', alterId: 0, cipher: 'auto',
      tls: true, servername: 'hk1.example.com', alpn: ['h2', 'http/1.1'], 'client-fingerprint': 'chrome',
      network: 'ws', 'ws-opts': { path: '/ray?ed=2048', headers: { Host: 'cdn.example.com' } },
    },
  },
  {
    title: 'vmess with numeric port and aid, missing scy, plain tcp, IPv6 in brackets',
    link: `vmess://${b64(JSON.stringify({ v: 2, ps: '日本 02', add: '[2001:db8::20]', port: 8443, id: 'u-1', aid: 64, net: 'tcp', type: 'none', tls: '' }))}`,
    proxy: { name: '日本 02', type: 'vmess', server: '2001:db8::20', port: 8443, uuid: 'u-1', alterId: 64, cipher: 'auto', network: 'tcp' },
    canonical: vmessCanonical({ ps: '日本 02', add: '2001:db8::20', port: '8443', id: 'u-1', aid: '64' }),
  },
  {
    title: 'vmess h2 with hosts list',
    link: vmessCanonical({ ps: 'h2', add: 'h2.example.com', port: '443', id: 'u-2', scy: 'aes-128-gcm', net: 'h2', host: 'a.example.com,b.example.com', path: '/h2', tls: 'tls' }),
    proxy: {
      name: 'h2', type: 'vmess', server: 'h2.example.com', port: 443, uuid: 'u-2', alterId: 0, cipher: 'aes-128-gcm', tls: true,
      network: 'h2', 'h2-opts': { host: ['a.example.com', 'b.example.com'], path: '/h2' },
    },
  },
  {
    title: 'vmess grpc keeps the service name from "path"',
    link: vmessCanonical({ ps: 'grpc', add: 'g.example.com', port: '443', id: 'u-3', net: 'grpc', type: 'gun', path: 'my-service', tls: 'tls', sni: 'g.example.com' }),
    proxy: {
      name: 'grpc', type: 'vmess', server: 'g.example.com', port: 443, uuid: 'u-3', alterId: 0, cipher: 'auto', tls: true, servername: 'g.example.com',
      network: 'grpc', 'grpc-opts': { 'grpc-service-name': 'my-service' },
    },
  },
  {
    title: 'vmess tcp with HTTP header obfuscation',
    link: vmessCanonical({ ps: 'obfs', add: 'o.example.com', port: '80', id: 'u-4', net: 'tcp', type: 'http', host: 'www.example.com', path: '/a,/b' }),
    proxy: {
      name: 'obfs', type: 'vmess', server: 'o.example.com', port: 80, uuid: 'u-4', alterId: 0, cipher: 'auto',
      network: 'http', 'http-opts': { path: ['/a', '/b'], headers: { Host: ['www.example.com'] } },
    },
  },
  {
    title: 'vmess in the URL form of the XTLS standard',
    link: 'vmess://u-5@vm.example.com:443?encryption=chacha20-poly1305&security=tls&sni=vm.example.com&type=ws&host=vm.example.com&path=%2Fvm#URL%20form',
    proxy: {
      name: 'URL form', type: 'vmess', server: 'vm.example.com', port: 443, uuid: 'u-5', alterId: 0, cipher: 'chacha20-poly1305', tls: true,
      servername: 'vm.example.com', network: 'ws', 'ws-opts': { path: '/vm', headers: { Host: 'vm.example.com' } },
    },
    canonical: vmessCanonical({ ps: 'URL form', add: 'vm.example.com', port: '443', id: 'u-5', scy: 'chacha20-poly1305', net: 'ws', host: 'vm.example.com', path: '/vm', tls: 'tls', sni: 'vm.example.com' }),
  },
  // ---- vless ----
  {
    title: 'vless REALITY with vision flow',
    link: `vless://${UUID}@sg1.example.com:443?encryption=none&flow=xtls-rprx-vision&security=reality&sni=www.microsoft.com&fp=chrome&pbk=${PBK}&sid=6ba85179e30d4fc2&type=tcp&headerType=none#%F0%9F%87%B8%F0%9F%87%AC%20SG`,
    proxy: {
      name: '🇸🇬 SG', type: 'vless', server: 'sg1.example.com', port: 443, uuid: UUID, flow: 'xtls-rprx-vision', tls: true,
      servername: 'www.microsoft.com', 'client-fingerprint': 'chrome', 'reality-opts': { 'public-key': PBK, 'short-id': '6ba85179e30d4fc2' }, network: 'tcp',
    },
    canonical: `vless://${UUID}@sg1.example.com:443?encryption=none&flow=xtls-rprx-vision&security=reality&sni=www.microsoft.com&fp=chrome&pbk=${PBK}&sid=6ba85179e30d4fc2&type=tcp#%F0%9F%87%B8%F0%9F%87%AC%20SG`,
  },
  {
    title: 'vless ws + tls with path, host, sni, alpn, allowInsecure',
    link: `vless://${UUID}@[2001:db8::30]:8443?type=ws&security=tls&sni=v.example.com&alpn=h2%2Chttp%2F1.1&host=cdn.example.com&path=%2Fws%3Fed%3D2048&allowInsecure=1#ws%20v6`,
    proxy: {
      name: 'ws v6', type: 'vless', server: '2001:db8::30', port: 8443, uuid: UUID, tls: true, servername: 'v.example.com', alpn: ['h2', 'http/1.1'],
      'skip-cert-verify': true, network: 'ws', 'ws-opts': { path: '/ws?ed=2048', headers: { Host: 'cdn.example.com' } },
    },
    canonical: `vless://${UUID}@[2001:db8::30]:8443?encryption=none&security=tls&sni=v.example.com&alpn=h2%2Chttp%2F1.1&allowInsecure=1&type=ws&host=cdn.example.com&path=%2Fws%3Fed%3D2048#ws%20v6`,
  },
  {
    title: 'vless grpc kept as data',
    link: `vless://${UUID}@us1.example.com:443?encryption=none&security=tls&sni=us1.example.com&type=grpc&serviceName=grpc-svc&mode=gun#US%20gRPC`,
    proxy: {
      name: 'US gRPC', type: 'vless', server: 'us1.example.com', port: 443, uuid: UUID, tls: true, servername: 'us1.example.com',
      network: 'grpc', 'grpc-opts': { 'grpc-service-name': 'grpc-svc' },
    },
    canonical: `vless://${UUID}@us1.example.com:443?encryption=none&security=tls&sni=us1.example.com&type=grpc&serviceName=grpc-svc#US%20gRPC`,
  },
  {
    title: 'vless httpupgrade and h2 (type=http)',
    link: `vless://${UUID}@hu.example.com:80?encryption=none&security=none&type=httpupgrade&host=hu.example.com&path=%2Fup#hu`,
    proxy: {
      name: 'hu', type: 'vless', server: 'hu.example.com', port: 80, uuid: UUID, network: 'ws',
      'ws-opts': { path: '/up', headers: { Host: 'hu.example.com' }, 'v2ray-http-upgrade': true },
    },
  },
  {
    title: 'vless over HTTP/2, no name',
    link: `vless://${UUID}@h2.example.com:443?encryption=none&security=tls&type=http&host=h2.example.com&path=%2Fh2`,
    proxy: {
      name: 'h2.example.com:443', type: 'vless', server: 'h2.example.com', port: 443, uuid: UUID, tls: true,
      network: 'h2', 'h2-opts': { host: ['h2.example.com'], path: '/h2' },
    },
  },
  // ---- trojan ----
  {
    title: 'trojan ws on an IPv6 host, password with reserved characters',
    link: 'trojan://p%40ss%3Aw%2Frd@[2001:db8::20]:443?security=tls&sni=tj.example.com&type=ws&host=tj.example.com&path=%2Fws#Trojan%20WS',
    proxy: {
      name: 'Trojan WS', type: 'trojan', server: '2001:db8::20', port: 443, password: 'p@ss:w/rd', sni: 'tj.example.com',
      network: 'ws', 'ws-opts': { path: '/ws', headers: { Host: 'tj.example.com' } },
    },
  },
  {
    title: 'trojan minimal (TLS implied, old "peer" for sni, alpn, allowInsecure)',
    link: 'trojan://secret@tj.example.com:443?peer=sni.example.com&alpn=h2&allowInsecure=true#t',
    proxy: { name: 't', type: 'trojan', server: 'tj.example.com', port: 443, password: 'secret', sni: 'sni.example.com', alpn: ['h2'], 'skip-cert-verify': true, network: 'tcp' },
    canonical: 'trojan://secret@tj.example.com:443?security=tls&sni=sni.example.com&alpn=h2&allowInsecure=1&type=tcp#t',
  },
  {
    title: 'trojan grpc with REALITY',
    link: `trojan://secret@tr.example.com:443?security=reality&sni=www.apple.com&fp=firefox&pbk=${PBK}&type=grpc&serviceName=tr#r`,
    proxy: {
      name: 'r', type: 'trojan', server: 'tr.example.com', port: 443, password: 'secret', sni: 'www.apple.com', 'client-fingerprint': 'firefox',
      'reality-opts': { 'public-key': PBK }, network: 'grpc', 'grpc-opts': { 'grpc-service-name': 'tr' },
    },
  },
  // ---- socks and http ----
  {
    title: 'socks with base64 userinfo (v2rayN)',
    link: `socks://${b64('user:sockspass')}@192.0.2.30:1080#SOCKS`,
    proxy: { name: 'SOCKS', type: 'socks5', server: '192.0.2.30', port: 1080, username: 'user', password: 'sockspass' },
    canonical: `socks://${b64url('user:sockspass')}@192.0.2.30:1080#SOCKS`,
  },
  {
    title: 'socks5 with plain percent-encoded userinfo',
    link: 'socks5://us%40er:p%3Ass@[::1]:1080#%E9%A6%99%E6%B8%AF%2001',
    proxy: { name: '香港 01', type: 'socks5', server: '::1', port: 1080, username: 'us@er', password: 'p:ss' },
    canonical: `socks://${b64url('us@er:p:ss')}@[::1]:1080#%E9%A6%99%E6%B8%AF%2001`,
  },
  {
    title: 'socks without credentials or name',
    link: 'socks://192.0.2.31:1080',
    proxy: { name: '192.0.2.31:1080', type: 'socks5', server: '192.0.2.31', port: 1080 },
  },
  {
    title: 'http proxy with credentials',
    link: 'http://proxyuser:proxy%20pass@192.0.2.40:3128#HTTP',
    proxy: { name: 'HTTP', type: 'http', server: '192.0.2.40', port: 3128, username: 'proxyuser', password: 'proxy pass' },
  },
  {
    title: 'https proxy (TLS to the proxy), trailing slash',
    link: 'https://proxyuser:proxypass@proxy.example.com:443/#HTTPS',
    proxy: { name: 'HTTPS', type: 'http', server: 'proxy.example.com', port: 443, username: 'proxyuser', password: 'proxypass', tls: true },
    canonical: 'https://proxyuser:proxypass@proxy.example.com:443#HTTPS',
  },
];

describe('share links: parse and export round-trip', () => {
  it.each(cases)('$title', ({ link, proxy, canonical }) => {
    const parsed = parseLink(link);
    expect(parsed).toStrictEqual({ ok: proxy });
    const exported = exportLink(proxy);
    expect(exported).toBe(canonical ?? link);
    // The canonical link reads back to the very same object.
    expect(parseLink(exported)).toStrictEqual({ ok: proxy });
  });

  it('has a case for every link type', () => {
    expect(new Set(cases.map((c) => c.proxy.type))).toEqual(new Set(['ss', 'vmess', 'vless', 'trojan', 'socks5', 'http']));
  });

  it('trims surrounding whitespace and accepts an upper-case scheme', () => {
    expect(parseLink(`  SS://${b64url('aes-256-gcm:pw')}@h.example.com:1\r\n`)).toStrictEqual({
      ok: { name: 'h.example.com:1', type: 'ss', server: 'h.example.com', port: 1, cipher: 'aes-256-gcm', password: 'pw' },
    });
  });

  it('keeps a name with a stray "%" as written', () => {
    const r = parseLink(`ss://${b64url('aes-256-gcm:pw')}@h.example.com:1#100%`);
    expect('ok' in r && r.ok.name).toBe('100%');
  });
});

describe('share links: malformed links', () => {
  const table: [string, string][] = [
    ['not a link at all', 'share link: expected "scheme://...", got "not a link at all"'],
    [vmessCanonical({ ps: 'x', add: 'a.example.com', port: 'abc', id: 'u' }), 'vmess link: field "port": expected an integer 1-65535, got "abc"'],
    [`vmess://${b64(JSON.stringify({ add: 'a.example.com', port: 70000, id: 'u' }))}`, 'vmess link: field "port": expected an integer 1-65535, got 70000'],
    [`vmess://${b64(JSON.stringify({ add: 'a.example.com', port: 443 }))}`, 'vmess link: field "id": missing the uuid'],
    [`vmess://${b64(JSON.stringify({ port: 443, id: 'u' }))}`, 'vmess link: field "add": expected a host name or IP address, got nothing'],
    [`vmess://${b64(JSON.stringify({ add: 'a.example.com', port: 443, id: 'u', aid: 'x' }))}`, 'vmess link: field "aid": expected an integer 0-65535, got "x"'],
    [`vmess://${b64(JSON.stringify({ add: 'a.example.com', port: 443, id: 'u', scy: 'rc4' }))}`, 'vmess link: field "scy": expected one of auto, aes-128-gcm, chacha20-poly1305, none, zero, got "rc4"'],
    [`vmess://${b64(JSON.stringify({ add: 'a.example.com', port: 443, id: 'u', tls: 'xtls' }))}`, 'vmess link: field "tls": expected "tls" or "", got "xtls"'],
    [`vmess://${b64(JSON.stringify({ add: 'a.example.com', port: 443, id: 'u', path: { p: 1 } }))}`, 'vmess link: field "path": expected a string, got a mapping'],
    ['vmess://!!!not-base64', 'vmess link: body is not valid base64'],
    [`vmess://${b64('{"add": "a.example.com",')}`, 'vmess link: body is base64 but not JSON'],
    [`vmess://${b64('[1,2]')}`, 'vmess link: body is JSON but a list, not an object'],
    ['ss://!!!@h.example.com:8388', 'ss link: userinfo is not valid base64'],
    [`ss://${b64url('aes-256-gcm')}@h.example.com:8388`, 'ss link: userinfo has no ":" between cipher and password'],
    [`ss://${b64url('aes-256-gcm:')}@h.example.com:8388`, 'ss link: missing password'],
    [`ss://${b64url(':pw')}@h.example.com:8388`, 'ss link: missing cipher'],
    [`ss://${b64url('aes 256:pw')}@h.example.com:8388`, 'ss link: cipher: expected a method name such as aes-256-gcm, got "aes 256"'],
    ['ss://@h.example.com:8388', 'ss link: missing cipher and password before "@"'],
    ['ss://not*base64#x', 'ss link: body has no "@" and is not valid base64 either'],
    ['ss://%%%%', 'ss link: body has bad percent-encoding'],
    [`ss://${b64('aes-256-gcm:pw-h.example.com-8388')}`, 'ss link: base64 body does not decode to "method:password@host:port"'],
    [`ss://${b64url('aes-256-gcm:pw')}@h.example.com:8388/?plugin=obfs-local%3Bobfs%3Dquic`, 'ss link: plugin obfs-local: obfs: expected http or tls, got "quic"'],
    [`ss://${b64url('aes-256-gcm:pw')}@h.example.com:8388/?plugin=obfs-local`, 'ss link: plugin obfs-local: missing "obfs=http" or "obfs=tls"'],
    ['trojan://@tj.example.com:443', 'trojan link: missing password'],
    ['trojan://secret@tj.example.com', 'trojan link: missing port'],
    ['trojan://secret@tj.example.com:0', 'trojan link: port: expected an integer 1-65535, got "0"'],
    ['trojan://sec%ZZret@tj.example.com:443', 'trojan link: password has bad percent-encoding'],
    ['trojan://secret@:443', 'trojan link: missing host'],
    [`vless://@v.example.com:443`, 'vless link: missing uuid'],
    [`vless://${UUID}@v.example.com:abc#x`, 'vless link: port: expected an integer 1-65535, got "abc"'],
    [`vless://${UUID}@[2001:db8::1:443`, 'vless link: host: unclosed "[" in IPv6 address'],
    [`vless://${UUID}@[zz::1]:443`, 'vless link: host: "[zz::1]" is not an IPv6 address'],
    [`vless://${UUID}@2001:db8::1:443`, 'vless link: host: an IPv6 address must be written in brackets'],
    [`vless://${UUID}@v.example.com:443?security=ssl`, 'vless link: security: expected one of none, tls, reality, got "ssl"'],
    [`vless://${UUID}@v.example.com:443?security=reality&sni=a.com`, 'vless link: security=reality needs "pbk" (the server\'s public key)'],
    [`vless://${UUID}@v.example.com:443?type=ws&path=%E0%A4%A`, 'vless link: query parameter "path" has bad percent-encoding'],
    ['http://user:pass@example.com:8080/api/v1/sub?token=abc', 'http link: has a path, so it looks like a web address rather than a proxy'],
    ['socks5://user:pass@proxy.example.com:99999', 'socks5 link: port: expected an integer 1-65535, got "99999"'],
  ];

  it('has at least 20 cases', () => expect(table.length).toBeGreaterThanOrEqual(20));

  it.each(table)('%s', (link, message) => {
    const r = parseLink(link);
    expect('error' in r).toBe(true);
    if (!('error' in r)) return;
    expect(r.error).toBeInstanceOf(BadLinkError);
    expect(r.error.code).toBe('BAD_LINK');
    expect(r.error.message).toBe(message);
  });

  it('never repeats a password or uuid in the message', () => {
    const secrets = ['s3cr3t-Pa55', 'f0e1d2c3-b4a5-4697-8877-665544332211'];
    const links = [
      'trojan://s3cr3t-Pa55@tj.example.com:abc',
      'trojan://s3cr3t-Pa55%@tj.example.com:443',
      `ss://${b64url('aes 256:s3cr3t-Pa55')}@h.example.com:8388`,
      `ss://${b64url('aes-256-gcm:s3cr3t-Pa55')}@h.example.com`,
      'vless://f0e1d2c3-b4a5-4697-8877-665544332211@v.example.com:0',
      'vless://f0e1d2c3-b4a5-4697-8877-665544332211@v.example.com:443?security=reality',
      `vmess://${b64(JSON.stringify({ add: 'a.example.com', port: 'x', id: 'f0e1d2c3-b4a5-4697-8877-665544332211' }))}`,
      'socks5://user:s3cr3t-Pa55@h.example.com',
      'http://user:s3cr3t-Pa55@h.example.com:8080/path',
    ];
    for (const link of links) {
      const r = parseLink(link);
      expect('error' in r, link).toBe(true);
      if ('error' in r) for (const s of secrets) expect(r.error.message).not.toContain(s);
    }
  });
});

describe('share links: kept but unsupported', () => {
  const table: [string, { scheme: string; name?: string; reason: string }][] = [
    ['hysteria2://pw@hy.example.com:443?sni=hy.example.com#Hysteria', { scheme: 'hysteria2', name: 'Hysteria', reason: 'Hysteria 2 (hysteria2://) is not supported yet' }],
    ['hy2://pw@hy.example.com:443', { scheme: 'hy2', name: 'hy.example.com:443', reason: 'Hysteria 2 (hy2://) is not supported yet' }],
    ['tuic://uuid:pw@tuic.example.com:443?congestion_control=bbr#TUIC%20%E9%A6%99%E6%B8%AF', { scheme: 'tuic', name: 'TUIC 香港', reason: 'TUIC (tuic://) is not supported yet' }],
    [`ssr://${b64url('1.2.3.4:443:origin:aes-256-cfb:plain:cGFzcw/?remarks=')}`, { scheme: 'ssr', reason: 'ShadowsocksR (ssr://) is not supported yet' }],
    ['wireguard://privkey@wg.example.com:51820?publickey=x#WG', { scheme: 'wireguard', name: 'WG', reason: 'WireGuard (wireguard://) is not supported yet' }],
    ['anytls://pw@any.example.com:443#any', { scheme: 'anytls', name: 'any', reason: 'AnyTLS (anytls://) is not supported yet' }],
    ['someday://x#future', { scheme: 'someday', name: 'future', reason: 'unknown link scheme "someday"' }],
    [`vless://${UUID}@k.example.com:443?type=kcp#kcp%20node`, { scheme: 'vless', name: 'kcp node', reason: 'transport "kcp" is not supported' }],
    [`vless://${UUID}@x.example.com:443?type=xhttp&security=tls`, { scheme: 'vless', name: 'x.example.com:443', reason: 'transport "xhttp" is not supported' }],
    [`vmess://${b64(JSON.stringify({ ps: 'quic', add: 'q.example.com', port: 443, id: 'u', net: 'quic' }))}`, { scheme: 'vmess', name: 'quic', reason: 'transport "quic" is not supported' }],
    [`ss://${b64url('aes-256-gcm:pw')}@k.example.com:29900/?plugin=kcptun%3Bmode%3Dfast2#kcp`, { scheme: 'ss', name: 'kcp', reason: 'shadowsocks plugin "kcptun" is not supported' }],
    [`ss://${b64url('aes-256-gcm:pw')}@q.example.com:443/?plugin=v2ray-plugin%3Bmode%3Dquic#q`, { scheme: 'ss', name: 'q', reason: 'v2ray-plugin in quic mode is not supported' }],
    ['trojan://secret@tj.example.com:443?security=none#plain', { scheme: 'trojan', name: 'plain', reason: 'trojan without TLS is not supported' }],
    ['socks4://user@s4.example.com:1080#old', { scheme: 'socks4', name: 'old', reason: 'SOCKS4 (socks4://) is not supported yet' }],
  ];

  it.each(table)('%s', (link, expected) => {
    const r = parseLink(link);
    expect(r).toStrictEqual({ unsupported: { unsupported: true, link, ...expected } });
    // An unsupported link exports as itself, so a re-export loses nothing.
    if ('unsupported' in r) expect(exportLink(r.unsupported)).toBe(link);
  });
});

describe('share links: export refusals', () => {
  it('refuses what a link cannot say instead of changing the connection', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 's', type: 'socks5', server: 'h', port: 1, tls: true }, 's: socks5 over TLS has no share-link form'],
      [{ name: 'w', type: 'wireguard', server: 'h', port: 1 }, 'w: type "wireguard" has no share-link form here'],
      [{ name: 'k', type: 'ss', server: 'h', port: 1, cipher: 'aes-256-gcm', password: 'p', plugin: 'shadow-tls' }, 'k: shadowsocks plugin "shadow-tls" has no share-link form'],
      [{ name: 'n', type: 'vless', server: 'h', port: 1, uuid: 'u', network: 'kcp' }, 'n: network "kcp" has no share-link form'],
      [{ type: 'ss', server: 'h', port: 1 }, 'a proxy: needs a name, a server and a port'],
      [{ unsupported: true, scheme: 'hysteria2', name: 'hy', proxy: {}, reason: 'type "hysteria2" is not supported yet' }, 'hy: type "hysteria2" is not supported yet; it came without a link'],
    ];
    for (const [proxy, message] of cases) {
      expect(() => exportLink(proxy as never)).toThrow(expect.objectContaining({ code: 'UNEXPORTABLE_PROXY', message }));
    }
  });

  it('writes a hand-written Clash entry, leaving out what links cannot carry', () => {
    const link = exportLink({ name: 'jp', type: 'vmess', server: 'jp.example.com', port: '443', uuid: 'u', alterId: '2', udp: true, network: 'ws', 'ws-opts': { path: '/p', headers: { Host: 'h', 'User-Agent': 'x' } } } as never);
    expect(parseLink(link)).toStrictEqual({
      ok: { name: 'jp', type: 'vmess', server: 'jp.example.com', port: 443, uuid: 'u', alterId: 2, cipher: 'auto', network: 'ws', 'ws-opts': { path: '/p', headers: { Host: 'h' } } },
    });
  });
});
