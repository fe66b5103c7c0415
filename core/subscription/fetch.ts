import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { FetchError, redactUrl } from './fetch-errors.js';
import { readSubscriptionInfo, type SubscriptionInfo } from './fetch-headers.js';

/**
 * The User-Agent sent unless the user sets one. Panels (v2board, xboard, sspanel) choose the body's
 * format from it: a `clash` in it gets Clash YAML, which carries every field; we read all formats, but
 * YAML loses the least. It also says who we are.
 */
export const DEFAULT_USER_AGENT = 'clash-verge/v2.0.0 switchyard/0.1.0';

export const FETCH_DEFAULTS = {
  /** The whole download, redirects included. */
  timeoutMs: 30_000,
  /** Bodies over this are refused; the biggest real subscriptions are a few MiB. */
  maxBytes: 20 * 1024 * 1024,
  maxRedirects: 5,
} as const;

export interface FetchOptions {
  userAgent?: string;
  timeoutMs?: number;
  maxBytes?: number;
  maxRedirects?: number;
  /**
   * Fetch through this SOCKS5 proxy — the core's own mixed port, so the download follows the rules and
   * pools like any other connection. Without it the fetch goes direct.
   */
  socksProxy?: { host: string; port: number; username?: string; password?: string };
  signal?: AbortSignal;
}

export interface FetchedSubscription {
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: string;
  status: number;
  headers: IncomingHttpHeaders;
  info: SubscriptionInfo;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Downloads a subscription body over HTTP(S): follows at most `maxRedirects` redirects, gives up after
 * `timeoutMs` for the whole exchange, refuses bodies over `maxBytes` (counted after gzip/deflate/br
 * decoding, so a small compressed bomb is refused too), and reads the subscription headers.
 *
 *   service → [mixed port → rules → pool →] subscription server
 */
export async function fetchSubscription(url: string, options: FetchOptions = {}): Promise<FetchedSubscription> {
  const timeoutMs = options.timeoutMs ?? FETCH_DEFAULTS.timeoutMs;
  const maxBytes = options.maxBytes ?? FETCH_DEFAULTS.maxBytes;
  const maxRedirects = options.maxRedirects ?? FETCH_DEFAULTS.maxRedirects;
  let current = parseHttpUrl(url);
  const origin = redactUrl(current);

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  timer.unref();
  const onCallerAbort = () => controller.abort();
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  if (options.signal?.aborted) controller.abort();
  // Loaded only when used: the headless core mostly fetches direct, and every module costs memory.
  const agent = options.socksProxy ? new (await import('socks-proxy-agent')).SocksProxyAgent(socksUrl(options.socksProxy), { timeout: timeoutMs }) : undefined;

  const explain = (err: unknown): FetchError => {
    if (err instanceof FetchError) return err;
    if (timedOut) return new FetchError('FETCH_TIMEOUT', `${origin}: no complete answer within ${formatSeconds(timeoutMs)}`);
    if (controller.signal.aborted) return new FetchError('FETCH_ABORTED', `${origin}: the download was cancelled`);
    const e = err as NodeJS.ErrnoException;
    const what = e?.code === 'ECONNRESET' || e?.message === 'aborted' ? 'the connection was closed before the body was complete' : (e?.code ?? e?.message ?? String(err));
    return new FetchError('FETCH_NETWORK', `${origin}: ${what}`, undefined, { cause: err });
  };

  try {
    for (let redirects = 0; ; redirects++) {
      const res = await get(current, options.userAgent ?? DEFAULT_USER_AGENT, controller.signal, agent).catch((err) => {
        throw explain(err);
      });
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (REDIRECTS.has(status) && location) {
        res.resume();
        if (redirects >= maxRedirects) throw new FetchError('FETCH_TOO_MANY_REDIRECTS', `${origin}: more than ${maxRedirects} redirects`);
        current = parseHttpUrl(new URL(location, current).href, `${origin} redirected to`);
        continue;
      }
      if (status < 200 || status > 299) {
        res.resume();
        throw new FetchError('FETCH_HTTP_STATUS', `${redactUrl(current)} answered HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`, status);
      }
      const body = await readBody(res, maxBytes, redactUrl(current)).catch((err) => {
        throw explain(err);
      });
      return { body, url: current.href, status, headers: res.headers, info: readSubscriptionInfo(res.headers) };
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onCallerAbort);
    agent?.destroy();
  }
}

function parseHttpUrl(raw: string, what = 'url'): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FetchError('FETCH_BAD_URL', `${what}: expected an http(s) URL, got something that is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FetchError('FETCH_BAD_URL', `${what}: expected an http(s) URL, got a ${url.protocol} URL`);
  return url;
}

function get(url: URL, userAgent: string, signal: AbortSignal, agent: http.Agent | undefined): Promise<IncomingMessage> {
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'GET',
      headers: { 'user-agent': userAgent, accept: '*/*', 'accept-encoding': 'gzip, deflate, br' },
      // No keep-alive: one download every few hours gains nothing from a pooled socket.
      agent: agent ?? false,
      signal,
    });
    req.once('response', resolve);
    req.once('error', reject);
    req.end();
  });
}

async function readBody(res: IncomingMessage, maxBytes: number, origin: string): Promise<Buffer> {
  const tooLarge = () => new FetchError('FETCH_TOO_LARGE', `${origin}: the subscription is larger than the ${formatBytes(maxBytes)} allowed`);
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    throw tooLarge();
  }
  const stream = decoded(res);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw tooLarge();
      chunks.push(chunk);
    }
  } finally {
    if (stream !== res) stream.destroy();
    res.destroy();
  }
  return Buffer.concat(chunks, size);
}

function decoded(res: IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip' ? zlib.createGunzip() : encoding === 'deflate' ? zlib.createInflate() : encoding === 'br' ? zlib.createBrotliDecompress() : undefined;
  if (!decoder) return res;
  res.on('error', (err) => decoder.destroy(err));
  return res.pipe(decoder);
}

function socksUrl(proxy: NonNullable<FetchOptions['socksProxy']>): string {
  const host = proxy.host.includes(':') ? `[${proxy.host}]` : proxy.host;
  const auth = proxy.username === undefined ? '' : `${encodeURIComponent(proxy.username)}:${encodeURIComponent(proxy.password ?? '')}@`;
  return `socks5h://${auth}${host}:${proxy.port}`;
}

const formatSeconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);

function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
