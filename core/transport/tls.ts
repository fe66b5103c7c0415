import tls from 'node:tls';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Transport, TransportOptions, TransportTarget } from '../adapter/transport.js';
import { ProxyError, fromSocketError } from '../adapter/errors.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, tcpTransport } from './tcp.js';

export interface TlsOptions {
  /** SNI; defaults to the target host when it is a name (never sent for IP literals). */
  serverName?: string;
  alpn?: string[];
  skipCertVerify?: boolean;
  /** PEM CA bundle to trust in addition to (instead of) the system roots. */
  ca?: string | Buffer;
}

/**
 * TLS over another transport (TCP by default). Certificate problems reject with TLS_FAILED and the
 * reason, so a user can tell a wrong `servername` from an expired certificate.
 */
export function tlsTransport(opts: TlsOptions = {}, inner: Transport = tcpTransport): Transport {
  return {
    kind: 'tls',
    async connect(target: TransportTarget, options: TransportOptions = {}): Promise<Duplex> {
      const started = Date.now();
      const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
      const raw = await inner.connect(target, options);
      const servername = opts.serverName ?? (net.isIP(target.host) ? undefined : target.host);
      return new Promise((resolve, reject) => {
        const socket = tls.connect({
          socket: raw as net.Socket,
          servername,
          ALPNProtocols: opts.alpn,
          rejectUnauthorized: !opts.skipCertVerify,
          ca: opts.ca,
          allowHalfOpen: true,
        } as tls.ConnectionOptions);
        const fail = (err: Error) => {
          clearTimeout(timer);
          socket.destroy();
          raw.destroy();
          reject(err);
        };
        const timer = setTimeout(
          () => fail(new ProxyError('TIMEOUT', `TLS handshake with ${target.host}:${target.port} timed out`)),
          Math.max(1, timeoutMs - (Date.now() - started)),
        );
        socket.once('secureConnect', () => {
          clearTimeout(timer);
          socket.off('error', onError);
          resolve(socket);
        });
        const onError = (err: NodeJS.ErrnoException) => {
          const isTls = /SSL|TLS|CERT|self.signed|certificate|alert/i.test(`${err.code ?? ''} ${err.message}`);
          fail(
            isTls
              ? new ProxyError('TLS_FAILED', `TLS handshake with ${target.host}:${target.port} failed: ${err.message}`, { cause: err })
              : fromSocketError(err, `TLS connect ${target.host}:${target.port}`),
          );
        };
        socket.once('error', onError);
      });
    },
  };
}
