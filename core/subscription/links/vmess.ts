import { isIPv6 } from 'node:net';
import { describe } from '../../config/fields.js';
import type { VmessProxy } from '../types.js';
import { BadLinkError, SubscriptionError, labelUnsupported } from '../errors.js';
import { decodeBase64Text, encodeBase64 } from '../base64.js';
import { type Loose, compact, isTrue, obj, str, strList } from './loose.js';
import { readTransportQuery, transportFromClash, transportToClash } from './stream-settings.js';
import { readTlsQuery } from './tls-query.js';
import { cutFirst, decodePart, defaultName, parseAuthorityLink, parsePort } from './url-parts.js';

const S = 'vmess';
const CIPHERS = ['auto', 'aes-128-gcm', 'chacha20-poly1305', 'none', 'zero'] as const;
type Cipher = (typeof CIPHERS)[number];

/**
 * `vmess://base64(JSON)` in the v2rayN format (v, ps, add, port, id, aid, scy, net, type, host, path,
 * tls, sni, alpn, fp; port and aid as strings or numbers), and the rarer URL form of the XTLS standard
 * (`vmess://uuid@host:port?...`), which base64 can never be mistaken for since it has no `@`.
 */
export function parseVmessLink(body: string): VmessProxy {
  const [beforeFragment] = cutFirst(body, '#');
  if (beforeFragment.includes('@')) return parseVmessUrl(body);
  const text = decodeBase64Text(beforeFragment);
  if (text === undefined) throw new BadLinkError(S, 'body is not valid base64');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BadLinkError(S, 'body is base64 but not JSON');
  }
  const v = obj(json);
  if (!v) throw new BadLinkError(S, `body is JSON but ${describe(json)}, not an object`);
  return readV2rayN(v);
}

function field(v: Loose, key: string): string | undefined {
  const value = v[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') throw new BadLinkError(S, `field "${key}": expected a string, got ${describe(value)}`);
  const s = value.trim();
  return s === '' ? undefined : s;
}

function readV2rayN(v: Loose): VmessProxy {
  let server = field(v, 'add');
  if (server === undefined) throw new BadLinkError(S, 'field "add": expected a host name or IP address, got nothing');
  if (server.startsWith('[') && server.endsWith(']') && isIPv6(server.slice(1, -1))) server = server.slice(1, -1);
  if (/[\s/?#@]/.test(server)) throw new BadLinkError(S, `field "add": expected a host name or IP address, got ${describe(server)}`);
  const port = parsePort(S, 'field "port"', v.port);
  const uuid = field(v, 'id');
  if (uuid === undefined) throw new BadLinkError(S, 'field "id": missing the uuid');
  const name = field(v, 'ps') ?? defaultName(server, port);
  const net = field(v, 'net') ?? 'tcp';
  const tls = (field(v, 'tls') ?? '').toLowerCase();
  if (tls !== '' && tls !== 'none' && tls !== 'tls') throw new BadLinkError(S, `field "tls": expected "tls" or "", got ${describe(v.tls)}`);
  const isGrpc = net.toLowerCase() === 'grpc';
  return labelUnsupported(name, () =>
    compact({
      name,
      type: S,
      server,
      port,
      uuid,
      alterId: readAlterId(v.aid),
      cipher: readCipher(field(v, 'scy')),
      ...(tls === 'tls'
        ? compact({ tls: true as const, servername: field(v, 'sni'), alpn: strList(field(v, 'alpn')?.split(',').map((s) => s.trim())), 'client-fingerprint': field(v, 'fp') })
        : {}),
      ...transportToClash({
        type: net,
        headerType: isGrpc ? undefined : field(v, 'type'),
        host: field(v, 'host'),
        path: isGrpc ? undefined : field(v, 'path'),
        serviceName: isGrpc ? field(v, 'path') : undefined, // v2rayN keeps the gRPC service name in `path`
      }),
    }),
  );
}

function readAlterId(value: unknown): number {
  if (value === undefined || value === null || value === '') return 0;
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new BadLinkError(S, `field "aid": expected an integer 0-65535, got ${describe(value)}`);
  return Number(text);
}

function readCipher(value: string | undefined): Cipher {
  const cipher = (value ?? 'auto').toLowerCase();
  if (!(CIPHERS as readonly string[]).includes(cipher)) {
    throw new BadLinkError(S, `field "scy": expected one of ${CIPHERS.join(', ')}, got ${describe(value)}`);
  }
  return cipher as Cipher;
}

/** The URL form: `encryption` is the VMess cipher, alterId is always 0 (AEAD). */
function parseVmessUrl(body: string): VmessProxy {
  const parts = parseAuthorityLink(S, body);
  const uuid = parts.userinfo === undefined ? '' : decodePart(S, parts.userinfo, 'uuid');
  if (uuid === '') throw new BadLinkError(S, 'missing uuid');
  const q = parts.query;
  return labelUnsupported(parts.name, () => {
    const tls = readTlsQuery(S, q, 'none');
    if (tls.security === 'reality') throw new BadLinkError(S, 'security: reality is for vless and trojan, not vmess');
    return compact({
      name: parts.name,
      type: S,
      server: parts.host,
      port: parts.port,
      uuid,
      alterId: 0,
      cipher: readCipher(q.get('encryption')),
      ...(tls.security === 'tls' ? compact({ tls: true as const, servername: tls.sni, alpn: tls.alpn, 'client-fingerprint': tls.fp }) : {}),
      ...transportToClash(readTransportQuery(q)),
    });
  });
}

/** Always the v2rayN JSON form, with every field present and port/aid as strings, as v2rayN writes it. */
export function exportVmessLink(p: Loose, server: string, port: number, name: string): string {
  const uuid = str(p.uuid);
  if (!uuid) throw new SubscriptionError('UNEXPORTABLE_PROXY', `${name}: vmess proxy without uuid`);
  const t = transportFromClash(p, 'h2');
  const tls = isTrue(p.tls);
  const json = {
    v: '2',
    ps: name,
    add: server,
    port: String(port),
    id: uuid,
    aid: String(typeof p.alterId === 'number' ? p.alterId : Number(str(p.alterId) ?? 0) || 0),
    scy: str(p.cipher) ?? 'auto',
    net: t.type === 'tcp' ? 'tcp' : t.type,
    type: t.headerType ?? (t.type === 'grpc' ? 'gun' : 'none'),
    host: t.host ?? '',
    path: (t.type === 'grpc' ? t.serviceName : t.path) ?? '',
    tls: tls ? 'tls' : '',
    sni: (tls && str(p.servername)) || '',
    alpn: (tls && strList(p.alpn)?.join(',')) || '',
    fp: (tls && str(p['client-fingerprint'])) || '',
  };
  return `vmess://${encodeBase64(JSON.stringify(json))}`;
}
