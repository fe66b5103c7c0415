import type { Duplex } from 'node:stream';
import type { Destination, DialContext, Outbound } from '../adapter/outbound.js';
import type { Transport } from '../adapter/transport.js';
import { ProxyError, attributeError } from '../adapter/errors.js';

export interface HandshakeOptions {
  signal?: AbortSignal;
  /** What is left of the dial's time budget. */
  timeoutMs: number;
}

export interface HandshakeOutboundSpec {
  name: string;
  type: string;
  server: string;
  port: number;
  transport: Transport;
  /** Budget for the transport connect plus the handshake, in ms. */
  timeoutMs: number;
  /** How errors name the server: `socks5 server 10.0.0.1:1080`. */
  peer: string;
  /** Asks the server to connect to the destination; resolves once it has, leaving the stream at the payload. */
  handshake(stream: Duplex, destination: Destination, options: HandshakeOptions): Promise<void>;
}

/**
 * An upstream proxy that answers a request before payload flows (SOCKS5, HTTP CONNECT):
 *   client → inbound → outbound → transport (tcp | tls) → handshake with the proxy → destination
 * One time budget covers connect and handshake; every error names the outbound.
 */
export function handshakeOutbound(spec: HandshakeOutboundSpec): Outbound {
  const { name, type, server, port, transport, timeoutMs, peer } = spec;
  return {
    name,
    type,
    async dial(destination: Destination, ctx: DialContext): Promise<Duplex> {
      const started = Date.now();
      try {
        const stream = await transport.connect({ host: server, port }, { signal: ctx.signal, timeoutMs });
        if (ctx.signal?.aborted) {
          stream.destroy();
          throw new ProxyError('ABORTED', `${peer}: dial aborted`);
        }
        await spec.handshake(stream, destination, { signal: ctx.signal, timeoutMs: Math.max(1, timeoutMs - (Date.now() - started)) });
        return stream;
      } catch (err) {
        throw attributeError(err, name, peer);
      }
    },
  };
}
