import { z } from 'zod';
import type { Outbound } from '../../adapter/outbound.js';
import type { ProtocolRegistry } from '../registry.js';
import { baseProxyShape } from '../../config/fields.js';
import { selectTransport, transportShape } from '../../transport/select.js';
import { createFramedOutbound, noteIgnoredFields, type FramedOutboundOptions } from './framed-outbound.js';
import { VlessCodec, encodeVlessRequest } from './header.js';
import { uuidBytes, uuidField } from './uuid.js';

export const vlessSchema = z.object({
  ...baseProxyShape,
  ...transportShape,
  type: z.literal('vless'),
  uuid: uuidField(),
  flow: z
    .string()
    .refine((f) => f === '', { error: 'expected an empty flow: XTLS flows (e.g. xtls-rprx-vision) are not supported' })
    .optional(),
  encryption: z
    .string()
    .refine((e) => e === '' || e === 'none', { error: 'expected none: VLESS encryption is not supported' })
    .optional(),
  'client-fingerprint': z.string().optional(),
});

export type VlessConfig = z.infer<typeof vlessSchema>;

/**
 * VLESS without flow: a plain header in front of the payload, security left to the transport.
 *   relay → VLESS header + payload → TCP | TLS | WebSocket (over TLS) → VLESS server → destination
 */
export function createVless(config: VlessConfig, options: FramedOutboundOptions = {}): Outbound {
  noteIgnoredFields(config, options.logger);
  const id = uuidBytes(config.uuid);
  return createFramedOutbound({
    name: config.name,
    type: 'vless',
    server: config.server,
    port: config.port,
    connectTimeoutMs: options.connectTimeoutMs,
    transport: selectTransport(config, { ca: options.ca }),
    open: (dest) => ({ header: encodeVlessRequest(id, dest), codec: new VlessCodec() }),
  });
}

export function register(registry: ProtocolRegistry): void {
  registry.register({
    type: 'vless',
    schema: vlessSchema,
    create: (config: VlessConfig, deps) => createVless(config, { logger: deps.logger }),
  });
}
