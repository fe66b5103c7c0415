import net from 'node:net';
import type { Duplex } from 'node:stream';
import WebSocket, { createWebSocketStream } from 'ws';
import type { Transport, TransportOptions, TransportTarget } from '../adapter/transport.js';
import { ProxyError, fromSocketError } from '../adapter/errors.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from './tcp.js';
import type { TlsOptions } from './tls.js';

export interface WsOptions {
  path?: string;
  /** Extra request headers; `Host` here overrides the Host header (CDN fronting). */
  headers?: Record<string, string>;
  /** When set, the WebSocket runs over TLS (wss). */
  tls?: TlsOptions;
}

/**
 * WebSocket transport: binary messages carry the protocol's bytes. A non-101 answer rejects with
 * WS_HANDSHAKE_FAILED and the HTTP status, so "404 on /wrong-path" reaches the user as such.
 */
export function wsTransport(opts: WsOptions = {}): Transport {
  return {
    kind: opts.tls ? 'wss' : 'ws',
    connect(target: TransportTarget, options: TransportOptions = {}): Promise<Duplex> {
      const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
      const scheme = opts.tls ? 'wss' : 'ws';
      const hostPart = net.isIPv6(target.host) ? `[${target.host}]` : target.host;
      const path = opts.path && opts.path.startsWith('/') ? opts.path : `/${opts.path ?? ''}`;
      const url = `${scheme}://${hostPart}:${target.port}${path}`;
      const headers = { ...(opts.headers ?? {}) };
      const hostHeader = Object.entries(headers).find(([k]) => k.toLowerCase() === 'host')?.[1];
      const servername = opts.tls?.serverName ?? hostHeader ?? (net.isIP(target.host) ? undefined : target.host);
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(url, {
          headers,
          handshakeTimeout: timeoutMs,
          perMessageDeflate: false,
          servername,
          rejectUnauthorized: opts.tls ? !opts.tls.skipCertVerify : undefined,
          ca: opts.tls?.ca,
          ALPNProtocols: opts.tls?.alpn,
        } as WebSocket.ClientOptions);
        let settled = false;
        const fail = (err: ProxyError) => {
          if (settled) return;
          settled = true;
          options.signal?.removeEventListener('abort', onAbort);
          ws.terminate();
          reject(err);
        };
        const onAbort = () => fail(new ProxyError('ABORTED', `WebSocket ${url} aborted`));
        options.signal?.addEventListener('abort', onAbort, { once: true });
        ws.once('unexpected-response', (_req, res) => {
          fail(new ProxyError('WS_HANDSHAKE_FAILED', `WebSocket upgrade to ${url} answered HTTP ${res.statusCode}`));
        });
        ws.once('error', (err: NodeJS.ErrnoException) => {
          if (/timeout/i.test(err.message)) fail(new ProxyError('TIMEOUT', `WebSocket handshake with ${url} timed out`));
          else if (/SSL|TLS|CERT|certificate|self.signed/i.test(`${err.code ?? ''} ${err.message}`))
            fail(new ProxyError('TLS_FAILED', `TLS for ${url} failed: ${err.message}`, { cause: err }));
          else fail(fromSocketError(err, `WebSocket ${url}`));
        });
        ws.once('open', () => {
          if (settled) return;
          settled = true;
          options.signal?.removeEventListener('abort', onAbort);
          resolve(createWebSocketStream(ws, { allowHalfOpen: true }));
        });
      });
    },
  };
}
