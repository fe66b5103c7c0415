import { z } from 'zod';
import type { Transport } from '../adapter/transport.js';
import { bool, describe, nonEmptyString, oneOf, stringList } from '../config/fields.js';
import { tcpTransport } from './tcp.js';
import { tlsTransport, type TlsOptions } from './tls.js';
import { wsTransport } from './ws.js';

/**
 * The Clash/mihomo fields that say how a proxy's bytes travel (`network`, `tls`, `servername`,
 * `skip-cert-verify`, `alpn`, `ws-opts`) and the Transport built from them. Any protocol's schema can
 * spread `transportShape`; `selectTransport` turns the parsed fields into tcp, tls, ws or wss.
 */
const expected = (what: string) => ({ error: (iss: { input?: unknown }) => `expected ${what}, got ${describe(iss.input)}` });

const wsOptsSchema = z.object(
  {
    path: z.string(expected('a path such as /ws')).optional(),
    headers: z.record(z.string(), z.string(expected('a string')), expected('a mapping of header names to values')).optional(),
  },
  expected('a mapping with path and headers'),
);

export const transportShape = {
  network: oneOf(['tcp', 'ws']).optional(),
  tls: bool().optional(),
  servername: nonEmptyString('a host name').optional(),
  'skip-cert-verify': bool().optional(),
  alpn: stringList().optional(),
  'ws-opts': wsOptsSchema.optional(),
};

export interface TransportFields {
  network?: 'tcp' | 'ws';
  tls?: boolean;
  servername?: string;
  'skip-cert-verify'?: boolean;
  alpn?: string[];
  'ws-opts'?: { path?: string; headers?: Record<string, string> };
}

export interface TransportExtras {
  /** Trojan always runs over TLS, whatever `tls` says. */
  forceTls?: boolean;
  /** SNI from a differently named field (Trojan's `sni`); wins over `servername`. */
  serverName?: string;
  /** A CA to trust besides the system roots (self-signed test servers); not a profile field. */
  ca?: string | Buffer;
}

export function selectTransport(fields: TransportFields, extras: TransportExtras = {}): Transport {
  const tls: TlsOptions | undefined =
    extras.forceTls || fields.tls === true
      ? {
          serverName: extras.serverName ?? fields.servername,
          skipCertVerify: fields['skip-cert-verify'] ?? false,
          alpn: fields.alpn?.length ? fields.alpn : undefined,
          ca: extras.ca,
        }
      : undefined;
  if (fields.network === 'ws') {
    const ws = fields['ws-opts'] ?? {};
    // A WebSocket upgrade is HTTP/1.1: offering h2 would let the server pick a protocol ws cannot speak.
    const alpn = tls?.alpn?.filter((p) => p !== 'h2');
    return wsTransport({ path: ws.path || '/', headers: ws.headers, tls: tls && { ...tls, alpn: alpn?.length ? alpn : undefined } });
  }
  return tls ? tlsTransport(tls) : tcpTransport;
}
