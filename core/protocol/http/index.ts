import http from 'node:http';
import { z } from 'zod';
import type { Duplex } from 'node:stream';
import type { Destination, DialContext, Outbound } from '../../adapter/outbound.js';
import type { Transport } from '../../adapter/transport.js';
import { ProxyError, fromSocketError } from '../../adapter/errors.js';
import type { ProtocolRegistry } from '../registry.js';
import { baseProxyShape, bool, describe, nonEmptyString } from '../../config/fields.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, tcpTransport } from '../../transport/tcp.js';
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
    : tcpTransport;
  const requestHeaders: Record<string, string> = { ...(config.headers ?? {}) };
  if (config.username || config.password) {
    const token = Buffer.from(`${config.username ?? ''}:${config.password ?? ''}`, 'utf8').toString('base64');
    requestHeaders['Proxy-Authorization'] = `Basic ${token}`;
  }
  const peer = `http proxy ${server}:${port}`;

  return {
    name,
    type: 'http',
    async dial(destination: Destination, ctx: DialContext): Promise<Duplex> {
      const started = Date.now();
      try {
        const stream = await transport.connect({ host: server, port }, { signal: ctx.signal, timeoutMs });
        if (ctx.signal?.aborted) {
          stream.destroy();
          throw new ProxyError('ABORTED', `${peer}: dial aborted`);
        }
        await httpConnect(stream, destination, {
          peer,
          headers: requestHeaders,
          signal: ctx.signal,
          timeoutMs: Math.max(1, timeoutMs - (Date.now() - started)),
        });
        return stream;
      } catch (err) {
        throw attributed(err, name, peer);
      }
    },
  };
}

/** Every error leaving an outbound names it, so pools can count failures per member. */
function attributed(err: unknown, outbound: string, peer: string): ProxyError {
  const e = err instanceof ProxyError ? err : fromSocketError(err, peer);
  return e.outbound === outbound ? e : new ProxyError(e.code, e.message, { cause: e.cause, outbound });
}

export function register(registry: ProtocolRegistry): void {
  registry.register({
    type: 'http',
    schema: httpSchema,
    create: (config: HttpProxyConfig) => createHttpProxy(config),
  });
}
