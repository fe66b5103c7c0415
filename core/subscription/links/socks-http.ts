import type { HttpProxy, Socks5Proxy } from '../types.js';
import { BadLinkError, SubscriptionError } from '../errors.js';
import { decodeBase64Text, encodeBase64Url } from '../base64.js';
import { type Loose, isTrue, str } from './loose.js';
import { cutFirst, decodePart, formatHostPort, nameFragment, parseAuthorityLink } from './url-parts.js';

/**
 * `socks://`, `socks5://`, `socks5h://` and `http://`, `https://` proxy links. The userinfo is either
 * plain `user:pass` (percent-encoded) or, as v2rayN writes it, base64 of `user:pass`.
 */
export function parseSocksLink(scheme: string, body: string): Socks5Proxy {
  const parts = parseAuthorityLink(scheme, body);
  return { name: parts.name, type: 'socks5', server: parts.host, port: parts.port, ...readCredentials(scheme, parts.userinfo) };
}

export function parseHttpLink(scheme: string, body: string): HttpProxy {
  const parts = parseAuthorityLink(scheme, body);
  // A path is what a web page or a subscription URL has; a proxy link has none. The path may hold a token, so it is not quoted.
  if (parts.path !== '' && parts.path !== '/') throw new BadLinkError(scheme, 'has a path, so it looks like a web address rather than a proxy');
  const proxy: HttpProxy = { name: parts.name, type: 'http', server: parts.host, port: parts.port, ...readCredentials(scheme, parts.userinfo) };
  return scheme === 'https' ? { ...proxy, tls: true } : proxy;
}

const PRINTABLE_PAIR = /^[^\x00-\x1f\x7f]*:[^\x00-\x1f\x7f]*$/;

function readCredentials(scheme: string, userinfo: string | undefined): { username?: string; password?: string } {
  if (userinfo === undefined || userinfo === '') return {};
  let user: string;
  let pass: string | undefined;
  if (userinfo.includes(':')) {
    const [rawUser, rawPass] = cutFirst(userinfo, ':');
    user = decodePart(scheme, rawUser, 'username');
    pass = decodePart(scheme, rawPass!, 'password');
  } else {
    const raw = decodePart(scheme, userinfo, 'userinfo');
    const decoded = decodeBase64Text(raw);
    // base64 of `user:pass`, or else a plain username without a password.
    [user, pass] = decoded !== undefined && PRINTABLE_PAIR.test(decoded) ? cutFirst(decoded, ':') : [raw, undefined];
  }
  const creds: { username?: string; password?: string } = {};
  if (user !== '') creds.username = user;
  if (pass !== undefined && pass !== '') creds.password = pass;
  return creds;
}

/** `socks://base64url(user:pass)@host:port#name`, the v2rayN spelling. */
export function exportSocksLink(p: Loose, server: string, port: number, name: string): string {
  if (isTrue(p.tls)) throw new SubscriptionError('UNEXPORTABLE_PROXY', `${name}: socks5 over TLS has no share-link form`);
  const user = str(p.username);
  const auth = user !== undefined ? `${encodeBase64Url(`${user}:${str(p.password) ?? ''}`)}@` : '';
  return `socks://${auth}${formatHostPort(server, port)}${nameFragment(name, server, port)}`;
}

/** `http://user:pass@host:port#name`, `https://` when the proxy speaks TLS. */
export function exportHttpLink(p: Loose, server: string, port: number, name: string): string {
  const user = str(p.username);
  const pass = str(p.password);
  const auth = user !== undefined ? `${encodeURIComponent(user)}${pass !== undefined ? `:${encodeURIComponent(pass)}` : ''}@` : '';
  return `${isTrue(p.tls) ? 'https' : 'http'}://${auth}${formatHostPort(server, port)}${nameFragment(name, server, port)}`;
}
