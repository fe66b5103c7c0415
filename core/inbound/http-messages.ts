import { STATUS_CODES } from 'node:http';
import { isIPv6 } from 'node:net';
import type { Destination } from '../adapter/outbound.js';

/** Pieces of HTTP the proxy reads and writes itself; parsing of the messages is node:http's. */

/**
 * `host:port`, `[v6]:port` or, with a default port, `host` (CONNECT targets and absolute-URI authorities).
 * Undefined when malformed; an IPv6 literal comes back without brackets.
 */
export function parseAuthority(authority: string, defaultPort?: number): Destination | undefined {
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  let host: string;
  let portText: string | undefined;
  if (authority.charCodeAt(0) === 0x5b /* [ */) {
    const close = authority.indexOf(']');
    if (close < 0) return undefined;
    host = authority.slice(1, close);
    if (!isIPv6(host)) return undefined;
    if (close + 1 < authority.length) {
      if (authority.charCodeAt(close + 1) !== 0x3a /* : */) return undefined;
      portText = authority.slice(close + 2);
    }
  } else {
    const colon = authority.indexOf(':');
    if (colon < 0) host = authority;
    else {
      host = authority.slice(0, colon);
      portText = authority.slice(colon + 1);
    }
  }
  if (host.length === 0) return undefined;
  const port = portText === undefined ? defaultPort : parsePort(portText);
  return port === undefined ? undefined : { host, port };
}

function parsePort(text: string): number | undefined {
  if (text.length === 0 || text.length > 5) return undefined;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n >= 1 && n <= 65535 ? n : undefined;
}

export interface ProxyTarget extends Destination {
  /** The origin-form request target sent upstream: path and query, verbatim. */
  path: string;
  /** `host[:port]` as the client wrote it (without userinfo): the Host header sent upstream. */
  authority: string;
}

/** `http://host[:port]/path?query` → target; undefined for origin-form, other schemes or a bad authority. */
export function parseAbsoluteHttpUrl(url: string): ProxyTarget | undefined {
  if (url.length < 8 || url.charCodeAt(4) !== 0x3a || url.slice(0, 7).toLowerCase() !== 'http://') return undefined;
  let end = 7;
  for (; end < url.length; end++) {
    const c = url.charCodeAt(end);
    if (c === 0x2f /* / */ || c === 0x3f /* ? */ || c === 0x23 /* # */) break;
  }
  let authority = url.slice(7, end);
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  const dest = parseAuthority(authority, 80);
  if (!dest) return undefined;
  let path = end === url.length ? '/' : url.slice(end);
  const hash = path.indexOf('#');
  if (hash >= 0) path = path.slice(0, hash);
  if (path.charCodeAt(0) !== 0x2f) path = `/${path}`;
  return { host: dest.host, port: dest.port, path, authority };
}

/** RFC 7230 §6.1 hop-by-hop fields plus the proxy's own; Expect is dropped because node:http already answered it. */
const REQUEST_HOP_BY_HOP = new Set(['connection', 'proxy-connection', 'proxy-authorization', 'keep-alive', 'te', 'trailer', 'upgrade', 'expect']);
/** Transfer-Encoding too: node:http frames the reply for this client (chunked for 1.1, close-delimited for 1.0). */
const RESPONSE_HOP_BY_HOP = new Set(['connection', 'proxy-connection', 'proxy-authenticate', 'keep-alive', 'te', 'trailer', 'upgrade', 'transfer-encoding']);

/**
 * Copies raw headers (`[name, value, name, value...]`, order and case kept) minus hop-by-hop fields and
 * those the Connection header lists.
 */
function withoutHopByHop(raw: readonly string[], hopByHop: ReadonlySet<string>): string[] {
  const names = new Array<string>(raw.length >> 1);
  let listed: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    names[i >> 1] = name;
    if (name === 'connection') {
      for (const token of raw[i + 1]!.split(',')) (listed ??= new Set()).add(token.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = names[i >> 1]!;
    if (hopByHop.has(name) || listed?.has(name)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/**
 * Headers to send upstream. Host is the request target's authority: RFC 7230 §5.4 has a proxy ignore the
 * Host a client sent with an absolute-URI, and an HTTP/1.0 client may send none. Transfer-Encoding stays
 * so node:http frames the body it re-sends the same way.
 */
export function forwardedRequestHeaders(raw: readonly string[], authority: string): string[] {
  const out = withoutHopByHop(raw, REQUEST_HOP_BY_HOP);
  let host = -1;
  for (let i = 0; i < out.length; i += 2) {
    if (out[i]!.length !== 4 || out[i]!.toLowerCase() !== 'host') continue;
    if (host >= 0) {
      out.splice(i, 2);
      i -= 2;
    } else {
      host = i;
      out[i + 1] = authority;
    }
  }
  if (host < 0) out.push('Host', authority);
  return out;
}

export function forwardedResponseHeaders(raw: readonly string[]): string[] {
  return withoutHopByHop(raw, RESPONSE_HOP_BY_HOP);
}

/** Bytes of a request head as written: request line, fields, blank line. */
export function requestHeadSize(method: string, path: string, headers: readonly string[]): number {
  let n = method.length + 1 + path.length + 11 + 2; // 'GET' ' ' '/path' ' HTTP/1.1\r\n' ... '\r\n'
  for (let i = 0; i < headers.length; i += 2) n += Buffer.byteLength(headers[i]!) + Buffer.byteLength(headers[i + 1]!) + 4;
  return n;
}

export const PROXY_AUTH_CHALLENGE = 'Basic realm="switchyard"';

/** A short text body naming the reason (`502 CONNECTION_REFUSED`), for raw sockets. */
export function errorBody(status: number, code: string): string {
  return `${status} ${code}\n`;
}

/** A complete close-delimited error response for a socket node:http no longer owns (CONNECT, parse errors). */
export function rawErrorResponse(status: number, code: string, extraHeaders = ''): string {
  const body = errorBody(status, code);
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    `Content-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n${extraHeaders}\r\n${body}`
  );
}

export const CONNECT_ESTABLISHED = Buffer.from('HTTP/1.1 200 Connection established\r\n\r\n');
export const RESPONSE_407 = rawErrorResponse(407, 'PROXY_AUTHENTICATION_REQUIRED', `Proxy-Authenticate: ${PROXY_AUTH_CHALLENGE}\r\n`);
export const RESPONSE_400 = rawErrorResponse(400, 'BAD_REQUEST');
export const RESPONSE_431 = rawErrorResponse(431, 'HEADERS_TOO_LARGE');
