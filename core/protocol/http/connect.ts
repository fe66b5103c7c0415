import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Destination } from '../../adapter/outbound.js';
import { ProxyError, fromSocketError } from '../../adapter/errors.js';

/** Cap on the proxy's response head; a proxy that sends more is not one we can talk to. */
export const MAX_RESPONSE_HEADER_BYTES = 16 * 1024;

export interface HttpConnectOptions {
  /** Names the upstream in messages, e.g. `http proxy 127.0.0.1:8080`. Never holds credentials. */
  peer: string;
  /** Extra request headers, credentials included; a `Host` here overrides the default. */
  headers?: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Sends `CONNECT host:port HTTP/1.1` over `stream` and resolves once the proxy answered 2xx.
 * node:http writes the request and parses the answer (llhttp, with a header-size cap); it detaches from
 * the stream on 'connect', and bytes the proxy sent after the response head are unshifted back onto the
 * stream, so the caller reads them first. No listener or timer of ours stays behind on success; on
 * failure the stream is destroyed.
 */
export function httpConnect(stream: Duplex, destination: Destination, opts: HttpConnectOptions): Promise<void> {
  const authority = net.isIPv6(destination.host) ? `[${destination.host}]:${destination.port}` : `${destination.host}:${destination.port}`;
  const { peer } = opts;
  return new Promise((resolve, reject) => {
    let req: http.ClientRequest;
    try {
      req = http.request({
        method: 'CONNECT',
        path: authority,
        headers: withDefaultHost(authority, opts.headers ?? {}),
        setHost: false,
        createConnection: () => stream as unknown as net.Socket,
        maxHeaderSize: MAX_RESPONSE_HEADER_BYTES,
      });
    } catch (err) {
      // node:http refuses header values with CR/LF and paths with spaces before writing anything.
      stream.destroy();
      return reject(new ProxyError('HOST_UNREACHABLE', `cannot ask ${peer} for ${authority}: ${(err as Error).message}`, { cause: err }));
    }
    let settled = false;
    const finish = (err?: ProxyError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (!err) return resolve();
      req.destroy();
      stream.destroy();
      reject(err);
    };
    const onAbort = () => finish(new ProxyError('ABORTED', `${peer}: CONNECT aborted`));
    const timer = setTimeout(
      () => finish(new ProxyError('TIMEOUT', `${peer}: no answer to CONNECT within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.once('connect', (res: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        if (head.length > 0) socket.unshift(head);
        return finish();
      }
      finish(statusError(status, res.statusMessage ?? '', peer, authority, hasAuthorization(opts.headers)));
    });
    // Stays attached after settling: node:http may still report the teardown we caused.
    req.on('error', (err: NodeJS.ErrnoException) => finish(classify(err, peer)));
    // node:http would add `Connection: close`, which is no business of a tunnel.
    if (!Object.keys(opts.headers ?? {}).some((k) => k.toLowerCase() === 'connection')) req.removeHeader('connection');
    req.end();
    if (opts.signal?.aborted) onAbort();
  });
}

function withDefaultHost(authority: string, headers: Record<string, string>): Record<string, string> {
  return Object.keys(headers).some((k) => k.toLowerCase() === 'host') ? headers : { Host: authority, ...headers };
}

function hasAuthorization(headers: Record<string, string> | undefined): boolean {
  return Object.keys(headers ?? {}).some((k) => k.toLowerCase() === 'proxy-authorization');
}

function statusError(status: number, text: string, peer: string, authority: string, sentCredentials: boolean): ProxyError {
  const said = `HTTP ${status}${text ? ` ${text}` : ''}`;
  // 407 is the standard answer; tinyproxy answers a wrong password with 401 (and a missing one with 407).
  if (status === 407 || status === 401)
    return new ProxyError(
      'UPSTREAM_AUTH_FAILED',
      sentCredentials ? `${peer} rejected the proxy credentials (${said})` : `${peer} requires authentication and no username is configured (${said})`,
    );
  return new ProxyError('UPSTREAM_REFUSED', `${peer} would not connect to ${authority}: ${said}`);
}

function classify(err: NodeJS.ErrnoException, peer: string): ProxyError {
  if (err instanceof ProxyError) return err;
  if (err.code === 'HPE_HEADER_OVERFLOW')
    return new ProxyError('UPSTREAM_PROTOCOL', `${peer}: response head larger than ${MAX_RESPONSE_HEADER_BYTES} bytes`, { cause: err });
  if (err.code?.startsWith('HPE_'))
    return new ProxyError('UPSTREAM_PROTOCOL', `${peer} answered CONNECT with something that is not HTTP (${err.code})`, { cause: err });
  // "socket hang up": the proxy closed before a complete response head.
  if (err.code === 'ECONNRESET')
    return new ProxyError('UPSTREAM_CLOSED', `${peer} closed the connection before answering CONNECT`, { cause: err });
  return fromSocketError(err, `${peer}: CONNECT failed`);
}
