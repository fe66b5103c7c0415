import { z } from 'zod';
import type { Outbound } from '../../adapter/outbound.js';
import type { ProtocolRegistry } from '../registry.js';
import { baseProxyShape, nonEmptyString } from '../../config/fields.js';
import { selectTransport, transportShape } from '../../transport/select.js';
import { createFramedOutbound, noteIgnoredFields, type FramedOutboundOptions } from '../vless/framed-outbound.js';
import { TrojanCodec, encodeTrojanRequest, trojanPasswordHash } from './header.js';

export const trojanSchema = z.object({
  ...baseProxyShape,
  ...transportShape,
  type: z.literal('trojan'),
  password: nonEmptyString('a non-empty password'),
  sni: nonEmptyString('a host name').optional(),
  'client-fingerprint': z.string().optional(),
});

export type TrojanConfig = z.infer<typeof trojanSchema>;

/**
 * Trojan (trojan-gfw protocol): always TLS, optionally WebSocket inside it.
 *   relay → trojan header + payload → TLS (or WebSocket over TLS) → trojan server → destination
 */
export function createTrojan(config: TrojanConfig, options: FramedOutboundOptions = {}): Outbound {
  noteIgnoredFields(config, options.logger);
  const passwordHash = trojanPasswordHash(config.password);
  return createFramedOutbound({
    name: config.name,
    type: 'trojan',
    server: config.server,
    port: config.port,
    connectTimeoutMs: options.connectTimeoutMs,
    transport: selectTransport(config, { forceTls: true, serverName: config.sni, ca: options.ca }),
    open: (dest) => ({ header: encodeTrojanRequest(passwordHash, dest), codec: new TrojanCodec() }),
  });
}

export function register(registry: ProtocolRegistry): void {
  registry.register({
    type: 'trojan',
    schema: trojanSchema,
    create: (config: TrojanConfig, deps) => createTrojan(config, { logger: deps.logger }),
  });
}
