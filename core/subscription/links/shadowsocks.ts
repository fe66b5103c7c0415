import { describe } from '../../config/fields.js';
import type { ShadowsocksProxy } from '../types.js';
import { BadLinkError, SubscriptionError, labelUnsupported } from '../errors.js';
import { decodeBase64Text, encodeBase64Url } from '../base64.js';
import { type Loose, str } from './loose.js';
import { pluginFromClash, pluginToClash, splitPluginSpec } from './ss-plugin.js';
import {
  QueryParams,
  cutFirst,
  decodePart,
  formatHostPort,
  formatQuery,
  nameFragment,
  parseAuthorityLink,
  parseHostPort,
  readName,
} from './url-parts.js';

const S = 'ss';
const CIPHER = /^[a-z0-9][a-z0-9._+-]*$/;

/**
 * `ss://` links, SIP002 (`ss://base64url(method:password)@host:port/?plugin=...#name`, or plain
 * percent-encoded userinfo, which SIP022 requires for 2022 ciphers) and the legacy fully-base64 form
 * (`ss://base64(method:password@host:port)#name`).
 */
export function parseShadowsocksLink(body: string): ShadowsocksProxy {
  const [beforeFragment, fragment] = cutFirst(body, '#');
  const [beforeQuery, rawQuery] = cutFirst(beforeFragment, '?');
  // Base64 never holds `@`, so its absence marks the legacy form.
  const link = beforeQuery.includes('@') ? readSip002(body) : readLegacy(beforeQuery, rawQuery ?? '', fragment);
  const pluginSpec = link.query.get('plugin');
  const base = { name: link.name, type: 'ss' as const, server: link.host, port: link.port, ...readUserinfo(link.userinfo) };
  if (pluginSpec === undefined) return base;
  const { plugin, options } = splitPluginSpec(pluginSpec);
  return { ...base, ...labelUnsupported(link.name, () => pluginToClash(S, plugin, options)) };
}

interface SsParts {
  /** Decoded `method:password`. */
  userinfo: string;
  host: string;
  port: number;
  query: QueryParams;
  name: string;
}

function readSip002(body: string): SsParts {
  const parts = parseAuthorityLink(S, body);
  const raw = decodePart(S, parts.userinfo ?? '', 'userinfo');
  if (raw === '') throw new BadLinkError(S, 'missing cipher and password before "@"');
  // A colon means plain `method:password`; base64 has no colon.
  const userinfo = raw.includes(':') ? raw : decodeBase64Text(raw);
  if (userinfo === undefined) throw new BadLinkError(S, 'userinfo is not valid base64');
  return { ...parts, userinfo };
}

function readLegacy(encoded: string, rawQuery: string, fragment: string | undefined): SsParts {
  const decoded = decodeBase64Text(decodePart(S, encoded.replace(/\/$/, ''), 'body'));
  if (decoded === undefined) throw new BadLinkError(S, 'body has no "@" and is not valid base64 either');
  const at = decoded.lastIndexOf('@');
  if (at < 0) throw new BadLinkError(S, 'base64 body does not decode to "method:password@host:port"');
  const { host, port } = parseHostPort(S, decoded.slice(at + 1).trim());
  return { userinfo: decoded.slice(0, at), host, port, query: QueryParams.parse(S, rawQuery), name: readName(fragment, host, port) };
}

function readUserinfo(userinfo: string): { cipher: string; password: string } {
  const [method, password] = cutFirst(userinfo, ':');
  if (password === undefined) throw new BadLinkError(S, 'userinfo has no ":" between cipher and password');
  const cipher = method.trim().toLowerCase();
  if (cipher === '') throw new BadLinkError(S, 'missing cipher');
  if (!CIPHER.test(cipher)) throw new BadLinkError(S, `cipher: expected a method name such as aes-256-gcm, got ${describe(cipher)}`);
  if (password === '') throw new BadLinkError(S, 'missing password');
  return { cipher, password };
}

/** SIP002; the userinfo is base64url without padding, except for 2022 ciphers, which SIP022 wants percent-encoded. */
export function exportShadowsocksLink(p: Loose, server: string, port: number, name: string): string {
  const cipher = str(p.cipher);
  const password = str(p.password);
  if (!cipher || !password) throw new SubscriptionError('UNEXPORTABLE_PROXY', `${name}: ss proxy without cipher or password`);
  const userinfo = cipher.startsWith('2022-')
    ? `${encodeURIComponent(cipher)}:${encodeURIComponent(password)}`
    : encodeBase64Url(`${cipher}:${password}`);
  const plugin = pluginFromClash(p);
  const query = plugin ? `/${formatQuery([['plugin', plugin.options ? `${plugin.plugin};${plugin.options}` : plugin.plugin]])}` : '';
  return `ss://${userinfo}@${formatHostPort(server, port)}${query}${nameFragment(name, server, port)}`;
}
