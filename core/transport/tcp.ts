import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Transport, TransportOptions, TransportTarget } from '../adapter/transport.js';
import { ProxyError, fromSocketError } from '../adapter/errors.js';

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Opens a TCP connection and resolves once it is established. Half-close is allowed so that a client's
 * FIN does not cut off the reply still coming back.
 */
export function connectTcp(target: TransportTarget, options: TransportOptions = {}): Promise<net.Socket> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new ProxyError('ABORTED', 'dial aborted'));
    const socket = net.connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    const done = (err?: Error) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve(socket);
    };
    const onConnect = () => done();
    const onError = (err: Error) => done(fromSocketError(err, `connect ${target.host}:${target.port}`));
    const onAbort = () => done(new ProxyError('ABORTED', `connect ${target.host}:${target.port} aborted`));
    const timer = setTimeout(
      () => done(new ProxyError('TIMEOUT', `connect ${target.host}:${target.port} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once('connect', onConnect);
    socket.once('error', onError);
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const tcpTransport: Transport = {
  kind: 'tcp',
  connect: (target, options): Promise<Duplex> => connectTcp(target, options),
};
