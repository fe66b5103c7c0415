import { z } from 'zod';
import type { Outbound } from '../../adapter/outbound.js';
import type { Transport } from '../../adapter/transport.js';
import type { ProtocolRegistry } from '../registry.js';
import { handshakeOutbound } from '../handshake-outbound.js';
import { baseProxyShape, bool, describe } from '../../config/fields.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, relayTcpTransport } from '../../transport/tcp.js';
import { tlsTransport } from '../../transport/tls.js';
import { socks5Connect, type Socks5Credentials } from './handshake.js';

/**
 * A username or password. YAML reads `password: 123456` as a number; Clash accepts it as text, so do we.
 * RFC 1929 gives each one length byte.
 */
const credential = z
  .union([z.string(), z.number()], { error: (iss) => `expected a string, got ${describe(iss.input)}` })
  .transform(String)
  .refine((s) => Buffer.byteLength(s, 'utf8') <= 255, { error: 'expected at most 255 bytes' });

/** A `proxies:` entry of Clash type `socks5`. `udp` is accepted; UDP relay is not implemented yet. */
export const socks5Schema = z.object({
  ...baseProxyShape,
  type: z.literal('socks5'),
  username: credential.optional(),
  password: credential.optional(),
  tls: bool().optional(),
  'skip-cert-verify': bool().optional(),
});

export type Socks5Config = z.infer<typeof socks5Schema>;

export interface Socks5Options {
  /** Budget for the transport connect plus the SOCKS5 handshake, in ms (default 10 s). */
  timeoutMs?: number;
}

/**
 * An upstream SOCKS5 server, optionally behind TLS.
 *   client → inbound → socks5 outbound → (tcp | tls) → SOCKS5 server → destination
 */
export function createSocks5(config: Socks5Config, options: Socks5Options = {}): Outbound {
  const { name, server, port } = config;
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const transport: Transport = config.tls ? tlsTransport({ skipCertVerify: config['skip-cert-verify'] }) : relayTcpTransport;
  const credentials: Socks5Credentials | undefined =
    config.username || config.password ? { username: config.username ?? '', password: config.password ?? '' } : undefined;
  const peer = `socks5 server ${server}:${port}`;

  return handshakeOutbound({
    name,
    type: 'socks5',
    server,
    port,
    transport,
    timeoutMs,
    peer,
    handshake: (stream, destination, { signal, timeoutMs: left }) => socks5Connect(stream, destination, { credentials, peer, signal, timeoutMs: left }),
  });
}

export function register(registry: ProtocolRegistry): void {
  registry.register({
    type: 'socks5',
    schema: socks5Schema,
    create: (config: Socks5Config) => createSocks5(config),
  });
}
