import { describe } from '../../config/fields.js';
import type { LinkProxy, ProxyConfig, UnsupportedEntry } from '../types.js';
import { BadLinkError, SubscriptionError, UnsupportedFeature } from '../errors.js';
import { type Loose, str } from './loose.js';
import { exportShadowsocksLink, parseShadowsocksLink } from './shadowsocks.js';
import { exportHttpLink, exportSocksLink, parseHttpLink, parseSocksLink } from './socks-http.js';
import { exportTrojanLink, parseTrojanLink } from './trojan.js';
import { exportVlessLink, parseVlessLink } from './vless.js';
import { exportVmessLink, parseVmessLink } from './vmess.js';
import { cutFirst, parseAuthorityLink, readName, splitScheme } from './url-parts.js';

/** One share link read: a proxy, a server we keep but cannot run, or what was wrong with it. */
export type LinkParseResult = { ok: LinkProxy } | { unsupported: UnsupportedEntry } | { error: BadLinkError };

const readers: Record<string, (body: string, scheme: string) => LinkProxy> = {
  ss: parseShadowsocksLink,
  vmess: parseVmessLink,
  vless: parseVlessLink,
  trojan: parseTrojanLink,
  socks: (body, scheme) => parseSocksLink(scheme, body),
  socks5: (body, scheme) => parseSocksLink(scheme, body),
  socks5h: (body, scheme) => parseSocksLink(scheme, body),
  http: (body, scheme) => parseHttpLink(scheme, body),
  https: (body, scheme) => parseHttpLink(scheme, body),
};

/** Protocols seen in subscriptions that we know by name but do not run yet. */
const NOT_YET: Record<string, string> = {
  hysteria2: 'Hysteria 2',
  hy2: 'Hysteria 2',
  hysteria: 'Hysteria',
  tuic: 'TUIC',
  ssr: 'ShadowsocksR',
  wireguard: 'WireGuard',
  wg: 'WireGuard',
  anytls: 'AnyTLS',
  'trojan-go': 'Trojan-Go',
  socks4: 'SOCKS4',
  socks4a: 'SOCKS4a',
  juicity: 'Juicity',
  naive: 'NaïveProxy',
  'naive+https': 'NaïveProxy',
  'naive+quic': 'NaïveProxy',
  ssh: 'SSH',
  mieru: 'Mieru',
  snell: 'Snell',
};

export function parseLink(input: string): LinkParseResult {
  const link = input.trim();
  const split = splitScheme(link);
  if (!split) return { error: new BadLinkError('share', `expected "scheme://...", got ${describe(link)}`) };
  const { scheme, body } = split;
  const read = readers[scheme];
  if (!read) {
    const known = NOT_YET[scheme];
    const reason = known ? `${known} (${scheme}://) is not supported yet` : `unknown link scheme ${JSON.stringify(scheme)}`;
    return { unsupported: unsupported(scheme, link, guessName(scheme, body), reason) };
  }
  try {
    return { ok: read(body, scheme) };
  } catch (e) {
    if (e instanceof UnsupportedFeature) return { unsupported: unsupported(scheme, link, e.proxyName, e.reason) };
    if (e instanceof BadLinkError) return { error: e };
    throw e;
  }
}

function unsupported(scheme: string, link: string, name: string | undefined, reason: string): UnsupportedEntry {
  return name === undefined ? { unsupported: true, scheme, link, reason } : { unsupported: true, scheme, link, name, reason };
}

/** The name an unsupported link would show: its fragment, else `host:port`, else none. */
function guessName(scheme: string, body: string): string | undefined {
  try {
    return parseAuthorityLink(scheme, body).name;
  } catch {
    const fragment = cutFirst(body, '#')[1];
    return fragment ? readName(fragment, '', 0) : undefined;
  }
}

/**
 * The canonical share link for a proxy. Fields a link cannot carry (udp, extra headers) are left out;
 * a proxy whose link would connect differently (socks5 over TLS, a kcp transport) is refused with
 * UNEXPORTABLE_PROXY. An unsupported entry that came from a link gives that link back.
 */
export function exportLink(entry: ProxyConfig | UnsupportedEntry | LinkProxy): string {
  if ('unsupported' in entry && entry.unsupported === true) {
    const kept = entry as UnsupportedEntry;
    if (kept.link) return kept.link;
    throw new SubscriptionError('UNEXPORTABLE_PROXY', `${kept.name ?? kept.scheme}: ${kept.reason}; it came without a link`);
  }
  const p = entry as Loose;
  const name = str(p.name);
  const server = str(p.server);
  const port = typeof p.port === 'number' ? p.port : Number(str(p.port));
  if (!name || !server || !Number.isInteger(port)) {
    throw new SubscriptionError('UNEXPORTABLE_PROXY', `${name ?? 'a proxy'}: needs a name, a server and a port`);
  }
  switch (p.type) {
    case 'ss':
      return exportShadowsocksLink(p, server, port, name);
    case 'vmess':
      return exportVmessLink(p, server, port, name);
    case 'vless':
      return exportVlessLink(p, server, port, name);
    case 'trojan':
      return exportTrojanLink(p, server, port, name);
    case 'socks5':
      return exportSocksLink(p, server, port, name);
    case 'http':
      return exportHttpLink(p, server, port, name);
    default:
      throw new SubscriptionError('UNEXPORTABLE_PROXY', `${name}: type ${describe(p.type)} has no share-link form here`);
  }
}
