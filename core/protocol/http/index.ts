import http from 'node:http';
import { z } from 'zod';
import type { Outbound } from '../../adapter/outbound.js';
import type { Transport } from '../../adapter/transport.js';
import type { ProtocolRegistry } from '../registry.js';
import { handshakeOutbound } from '../handshake-outbound.js';
import { baseProxyShape, bool, describe, nonEmptyString } from '../../config/fields.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, relayTcpTransport } from '../../transport/tcp.js';
import { tlsTransport } from '../../transport/tls.js';
import { httpConnect } from './connect.js';

/** YAML reads `password: 123456` as a number; Clash accepts it as text, so do we. */
const credential = z
  .union([z.string(), z.number()], { error: (iss) => `expected a string, got ${describe(iss.input)}` })
  .transform(String);

/** Extra CONNECT headers; checked here so a bad one is a profile error, not a failed dial. */
const headers = z.record(z.string(), z.string(), { error: (iss) => `expected a mapping of header names to strings, got ${describe(iss.input)}` }).superRefine((value, ctx) => {
  for (const [key, v] of Object.entries(value)) {
    try {
      http.validateHeaderName(key);
      http.validateHeaderValue(key, v);
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected a valid HTTP header, got ${describe(key)}`, path: [key] });
    }
  }
});

/** A `proxies:` entry of Clash type `http`; `tls: true` makes it an HTTPS proxy. */
export const httpSchema = z.object({
  ...baseProxyShape,
  type: z.literal('http'),
  username: credential.optional(),
  password: credential.optional(),
  tls: bool().optional(),
  sni: nonEmptyString('a host name').optional(),
  'skip-cert-verify': bool().optional(),
  headers: headers.optional(),
});

export type HttpProxyConfig = z.infer<typeof httpSchema>;

export interface HttpProxyOptions {
  /** Budget for the transport connect plus the CONNECT exchange, in ms (default 10 s). */
  timeoutMs?: number;
}

/**
 * An upstream HTTP(S) proxy reached with CONNECT.
 *   client → inbound → http outbound → (tcp | tls) → HTTP proxy → destination
 */
export function createHttpProxy(config: HttpProxyConfig, options: HttpProxyOptions = {}): Outbound {
  const { name, server, port } = config;
  const timeoutMs = options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const transport: Transport = config.tls
    ? tlsTransport({ serverName: config.sni, skipCertVerify: config['skip-cert-verify'] })
    : relayTcpTransport;
  const requestHeaders: Record<string, string> = { ...(config.headers ?? {}) };
  if (config.username || config.password) {
    const token = Buffer.from(`${config.username ?? ''}:${config.password ?? ''}`, 'utf8').toString('base64');
    requestHeaders['Proxy-Authorization'] = `Basic ${token}`;
  }
  const peer = `http proxy ${server}:${port}`;

  return handshakeOutbound({
    name,
    type: 'http',
    server,
    port,
    transport,
    timeoutMs,
    peer,
    handshake: (stream, destination, { signal, timeoutMs: left }) => httpConnect(stream, destination, { peer, headers: requestHeaders, signal, timeoutMs: left }),
  });
}

export function register(registry: ProtocolRegistry): void {
  registry.register({
    type: 'http',
    schema: httpSchema,
    create: (config: HttpProxyConfig) => createHttpProxy(config),
  });
}
