import type { Duplex } from 'node:stream';

export interface TransportTarget {
  host: string;
  port: number;
}

export interface TransportOptions {
  signal?: AbortSignal;
  /** Give up connecting (including TLS/WebSocket handshakes) after this many ms. */
  timeoutMs?: number;
}

/**
 * The byte pipe under a protocol's framing: tcp, tls, ws. Protocols never know which one carries them.
 * Transports compose: tls over tcp, ws over tls.
 */
export interface Transport {
  readonly kind: string;
  connect(target: TransportTarget, options?: TransportOptions): Promise<Duplex>;
}
