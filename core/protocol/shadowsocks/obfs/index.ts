import type { Duplex } from 'node:stream';
import type { Transport, TransportOptions, TransportTarget } from '../../../adapter/transport.js';
import { tcpTransport } from '../../../transport/tcp.js';
import { ObfsHttpStream } from './http.js';
import { ObfsTlsStream } from './tls.js';

export interface ObfsOptions {
  mode: 'http' | 'tls';
  /** The host the disguise names (HTTP Host header or TLS SNI). */
  host: string;
}

/** simple-obfs (Clash `plugin: obfs`) as a transport over another one, TCP by default. */
export function obfsTransport(opts: ObfsOptions, inner: Transport = tcpTransport): Transport {
  return {
    kind: `obfs-${opts.mode}`,
    async connect(target: TransportTarget, options?: TransportOptions): Promise<Duplex> {
      const raw = await inner.connect(target, options);
      return opts.mode === 'http' ? new ObfsHttpStream(raw, { host: opts.host, port: target.port }) : new ObfsTlsStream(raw, { host: opts.host });
    },
  };
}
