import { isIPv6 } from 'node:net';
import { describe } from '../../config/fields.js';
import { BadLinkError } from '../errors.js';

/**
 * Splits `scheme://userinfo@host:port/path?query#fragment` by hand rather than with WHATWG `URL`:
 * share links carry raw base64 (with `/` and `+`) in userinfo, unicode names and bare IPv6, and we
 * want errors that name the part that was wrong instead of "Invalid URL".
 */
export interface LinkParts {
  /** Still percent-encoded; undefined when the link has no `@`. */
  userinfo?: string;
  /** Percent-decoded; an IPv6 address without its brackets. */
  host: string;
  port: number;
  /** Raw, `''` when absent. */
  path: string;
  query: QueryParams;
  /** The decoded `#fragment`, or `host:port` when the link has none. */
  name: string;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([\s\S]*)$/;

export function splitScheme(link: string): { scheme: string; body: string } | undefined {
  const m = SCHEME.exec(link);
  return m ? { scheme: m[1]!.toLowerCase(), body: m[2]! } : undefined;
}

/** Cuts `text` at the first `sep`: [before, after], after undefined when `sep` is absent. */
export function cutFirst(text: string, sep: string): [string, string | undefined] {
  const at = text.indexOf(sep);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + sep.length)];
}

export function parseAuthorityLink(scheme: string, body: string): LinkParts {
  const [beforeFragment, fragment] = cutFirst(body, '#');
  const [beforeQuery, rawQuery] = cutFirst(beforeFragment, '?');
  // The last `@`: a password may hold an unescaped `@`, a host never does.
  const at = beforeQuery.lastIndexOf('@');
  const userinfo = at >= 0 ? beforeQuery.slice(0, at) : undefined;
  const [hostPort, pathTail] = cutFirst(beforeQuery.slice(at + 1), '/');
  const { host, port } = parseHostPort(scheme, hostPort);
  return {
    userinfo,
    host,
    port,
    path: pathTail === undefined ? '' : `/${pathTail}`,
    query: QueryParams.parse(scheme, rawQuery ?? ''),
    name: readName(fragment, host, port),
  };
}

export function parseHostPort(scheme: string, text: string): { host: string; port: number } {
  if (text === '') throw new BadLinkError(scheme, 'missing host');
  let rawHost: string;
  let portText: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) throw new BadLinkError(scheme, 'host: unclosed "[" in IPv6 address');
    rawHost = text.slice(1, close);
    if (!isIPv6(rawHost)) throw new BadLinkError(scheme, `host: ${describe(`[${rawHost}]`)} is not an IPv6 address`);
    const rest = text.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw new BadLinkError(scheme, `host: unexpected ${describe(rest)} after "]"`);
    portText = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = text.lastIndexOf(':');
    rawHost = colon < 0 ? text : text.slice(0, colon);
    portText = colon < 0 ? undefined : text.slice(colon + 1);
    if (rawHost.includes(':')) throw new BadLinkError(scheme, 'host: an IPv6 address must be written in brackets');
  }
  const host = decodePart(scheme, rawHost, 'host');
  if (host === '') throw new BadLinkError(scheme, 'missing host');
  if (/[\s/?#@]/.test(host)) throw new BadLinkError(scheme, `host: expected a host name or IP address, got ${describe(host)}`);
  if (portText === undefined || portText === '') throw new BadLinkError(scheme, 'missing port');
  return { host, port: parsePort(scheme, 'port', portText) };
}

/** `what` names the field in the message: `port` or `field "port"`. */
export function parsePort(scheme: string, what: string, value: unknown): number {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  const n = text !== undefined && /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 65535)) throw new BadLinkError(scheme, `${what}: expected an integer 1-65535, got ${describe(value)}`);
  return n;
}

/** Percent-decodes one part; the message names the part, never its (possibly secret) value. */
export function decodePart(scheme: string, raw: string, what: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new BadLinkError(scheme, `${what} has bad percent-encoding`);
  }
}

export const defaultName = (host: string, port: number): string =>
  isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;

/** Names are shown, not trusted: a fragment with a stray `%` is kept as written. */
export function readName(fragment: string | undefined, host: string, port: number): string {
  let name = fragment ?? '';
  try {
    name = decodeURIComponent(name);
  } catch {
    // keep the raw text
  }
  name = name.trim();
  return name === '' ? defaultName(host, port) : name;
}

/** Query parameters, percent-decoded; an empty value counts as absent; the first of a repeated key wins. */
export class QueryParams {
  private constructor(private readonly values: ReadonlyMap<string, string>) {}

  static parse(scheme: string, raw: string): QueryParams {
    const values = new Map<string, string>();
    for (const pair of raw.split('&')) {
      if (pair === '') continue;
      const [rawKey, rawValue] = cutFirst(pair, '=');
      const key = decodePart(scheme, rawKey, 'query parameter name');
      if (values.has(key)) continue;
      values.set(key, decodePart(scheme, rawValue ?? '', `query parameter ${JSON.stringify(key)}`));
    }
    return new QueryParams(values);
  }

  get(key: string): string | undefined {
    const v = this.values.get(key);
    return v === '' ? undefined : v;
  }

  /** A comma-separated list (`alpn=h2,http/1.1`). */
  list(key: string): string[] | undefined {
    const items = this.get(key)?.split(',').map((s) => s.trim()).filter((s) => s !== '');
    return items && items.length > 0 ? items : undefined;
  }

  /** `1`, `true`, `yes` (any case). */
  flag(key: string): boolean {
    return /^(1|true|yes)$/i.test(this.get(key) ?? '');
  }
}

// ---- writing links ----

export function formatHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${encodeURIComponent(host)}:${port}`;
}

/** The `#name` part; left out when the name is the `host:port` a reader would give it anyway. */
export function nameFragment(name: string, host: string, port: number): string {
  return name === defaultName(host, port) ? '' : `#${encodeURIComponent(name)}`;
}

/** `?k=v&...` in the given order, skipping absent values; `''` when nothing is left. */
export function formatQuery(pairs: readonly (readonly [string, string | undefined])[]): string {
  const parts = pairs.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${encodeURIComponent(v!)}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}
