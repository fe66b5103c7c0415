import type { Duplex } from 'node:stream';
import type { Destination, DialContext, Outbound } from '../../adapter/outbound.js';
import type { Transport } from '../../adapter/transport.js';
import { ProxyError, attributeError } from '../../adapter/errors.js';
import type { ProtocolRegistry } from '../registry.js';
import { tcpTransport, type TcpConnectOptions } from '../../transport/tcp.js';
import { DEFAULT_OBFS_HOST, obfsOptsSchema, shadowsocksSchema, type ShadowsocksConfig } from './config.js';
import { obfsTransport } from './obfs/index.js';
import { RequestEncoder, ResponseDecoder, type FramingOptions } from './framing.js';
import { methodKey } from './keys.js';
import { findMethod } from './methods.js';
import { ShadowsocksStream } from './stream.js';

export { shadowsocksSchema, type ShadowsocksConfig } from './config.js';

export interface ShadowsocksOptions {
  /** The byte pipe to the server, TCP by default; a configured obfs plugin runs over it. */
  transport?: Transport;
  /** Clock for SIP022 header times. */
  now?: () => number;
}

/**
 * A Shadowsocks server as an outbound (SIP004 AEAD and SIP022 2022 ciphers):
 *
 *   caller → shadowsocks (encrypt, target in first chunk) → transport → ss server → destination
 *
 * The dial resolves once the transport is connected; salt and request header leave with the first payload
 * (ShadowsocksStream). SS has no server handshake, so a wrong password surfaces on the returned stream as
 * UPSTREAM_AUTH_FAILED.
 */
export function createShadowsocks(config: ShadowsocksConfig, options: ShadowsocksOptions = {}): Outbound {
  const found = findMethod(config.cipher);
  if (!found) throw new Error(`unknown shadowsocks cipher ${config.cipher}`);
  const method = found;
  // Derived once: EVP_BytesToKey or the decoded PSK. The password itself is not kept.
  const framing: FramingOptions = { method, key: methodKey(method, config.password), now: options.now };
  const transport = withPlugin(config, options.transport ?? tcpTransport);
  const name = config.name;
  const server = `${config.server}:${config.port}`;

  async function dial(destination: Destination, ctx: DialContext): Promise<Duplex> {
    const encoder = new RequestEncoder(framing);
    try {
      encoder.begin(destination);
    } catch (err) {
      throw new ProxyError('HOST_UNREACHABLE', `cannot address ${destination.host}: ${(err as Error).message}`, { outbound: name, cause: err });
    }
    const decoder = new ResponseDecoder(framing, method.edition === '2022' ? encoder.salt : undefined);
    let inner: Duplex;
    try {
      // Plain TCP reads into a reused buffer that the stream decodes from directly (ShadowsocksCodec).
      const options: TcpConnectOptions = { signal: ctx.signal, directReads: transport.kind === 'tcp' };
      inner = await transport.connect({ host: config.server, port: config.port }, options);
    } catch (err) {
      throw attributeError(err, name, `connect to shadowsocks server ${server}`);
    }
    return new ShadowsocksStream(inner, { encoder, decoder, outbound: name, server });
  }

  return { name, type: 'ss', dial };
}

function withPlugin(config: ShadowsocksConfig, base: Transport): Transport {
  if (config.plugin !== 'obfs') return base;
  const opts = obfsOptsSchema.parse(config['plugin-opts']);
  return obfsTransport({ mode: opts.mode, host: opts.host ?? DEFAULT_OBFS_HOST }, base);
}

export function register(registry: ProtocolRegistry): void {
  registry.register({
    type: 'ss',
    schema: shadowsocksSchema,
    create: (config: ShadowsocksConfig) => createShadowsocks(config),
  });
}
