import type { Duplex } from 'node:stream';
import type { Destination, Outbound } from '../../adapter/outbound.js';
import type { Transport } from '../../adapter/transport.js';
import type { TcpConnectOptions } from '../../transport/tcp.js';
import type { Logger } from '../../logger.js';
import { FramedStream, type StreamCodec } from '../common/framed-stream.js';
import { attributeError } from '../../adapter/errors.js';

/** Runtime options of the V2Ray-family outbounds that are not profile fields. */
export interface FramedOutboundOptions {
  logger?: Logger;
  /** Extra CA to trust (self-signed servers in tests). */
  ca?: string | Buffer;
  /** Bound on the transport's connect + TLS + WebSocket handshake (default 10 s). */
  connectTimeoutMs?: number;
}

export interface FramedOutboundSpec {
  name: string;
  type: string;
  server: string;
  port: number;
  transport: Transport;
  connectTimeoutMs?: number;
  /** The request header and codec for one connection to `dest`. */
  open(dest: Destination): { header: Buffer; codec: StreamCodec };
}

/**
 * An outbound whose connections are `transport → FramedStream(codec)`: Trojan, VLESS, VMess. The dial
 * resolves once the transport is up; the header leaves with the first payload.
 */
export function createFramedOutbound(spec: FramedOutboundSpec): Outbound {
  const { name, server, port } = spec;
  return {
    name,
    type: spec.type,
    async dial(destination, ctx): Promise<Duplex> {
      let framing: { header: Buffer; codec: StreamCodec };
      try {
        framing = spec.open(destination);
      } catch (err) {
        throw attributeError(err, name);
      }
      let inner: Duplex;
      try {
        // directReads on plain TCP: FramedStream may take the socket's reads into a reused buffer (a codec
        // that decrypts into new buffers, VMess, copies nothing else). Not over TLS, which hands options down.
        const options: TcpConnectOptions = { signal: ctx.signal, timeoutMs: spec.connectTimeoutMs, directReads: spec.transport.kind === 'tcp' };
        inner = await spec.transport.connect({ host: server, port }, options);
      } catch (err) {
        throw attributeError(err, name, `connect ${server}:${port}`);
      }
      return new FramedStream(inner, framing.codec, framing.header, name);
    },
  };
}

/** Clash fields we accept so profiles load, but cannot honour; said once when the outbound is built. */
export function noteIgnoredFields(config: { name: string; 'client-fingerprint'?: string }, logger?: Logger): void {
  if (config['client-fingerprint'] !== undefined) {
    logger?.info(
      { outbound: config.name, field: 'client-fingerprint' },
      'client-fingerprint is ignored: Node TLS cannot imitate a browser fingerprint',
    );
  }
}
