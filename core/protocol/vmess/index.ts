import { z } from 'zod';
import type { Outbound } from '../../adapter/outbound.js';
import type { ProtocolRegistry } from '../registry.js';
import { baseProxyShape, int, oneOf } from '../../config/fields.js';
import { selectTransport, transportShape } from '../../transport/select.js';
import { createFramedOutbound, noteIgnoredFields, type FramedOutboundOptions } from '../vless/framed-outbound.js';
import { uuidBytes, uuidField } from '../vless/uuid.js';
import type { BodySecurity } from './chunk.js';
import { startVmessSession } from './codec.js';
import { vmessCmdKey } from './kdf.js';

export const vmessSchema = z.object({
  ...baseProxyShape,
  ...transportShape,
  type: z.literal('vmess'),
  uuid: uuidField(),
  alterId: int(0, 65535)
    .refine((n) => n === 0, {
      error: 'expected 0: alterId > 0 selects the legacy MD5 header, which is not supported (use alterId: 0, VMess AEAD)',
    })
    .optional(),
  cipher: oneOf(['auto', 'aes-128-gcm', 'chacha20-poly1305', 'none']).optional(),
  'client-fingerprint': z.string().optional(),
});

export type VmessConfig = z.infer<typeof vmessSchema>;

/** `auto` picks what this CPU does fast, as v2ray does: AES-GCM where AES instructions are the norm. */
export function resolveSecurity(cipher: VmessConfig['cipher'], arch: string = process.arch): BodySecurity {
  if (cipher === undefined || cipher === 'auto') {
    return arch === 'x64' || arch === 'arm64' || arch === 's390x' ? 'aes-128-gcm' : 'chacha20-poly1305';
  }
  return cipher;
}

/**
 * VMess with the AEAD header (alterId 0).
 *   relay → VMess header + chunked body → TCP | TLS | WebSocket (over TLS) → VMess server → destination
 */
export function createVmess(config: VmessConfig, options: FramedOutboundOptions = {}): Outbound {
  noteIgnoredFields(config, options.logger);
  const cmdKey = vmessCmdKey(uuidBytes(config.uuid));
  const security = resolveSecurity(config.cipher);
  return createFramedOutbound({
    name: config.name,
    type: 'vmess',
    server: config.server,
    port: config.port,
    connectTimeoutMs: options.connectTimeoutMs,
    transport: selectTransport(config, { ca: options.ca }),
    open: (dest) => startVmessSession(cmdKey, security, dest),
  });
}

export function register(registry: ProtocolRegistry): void {
  registry.register({
    type: 'vmess',
    schema: vmessSchema,
    create: (config: VmessConfig, deps) => createVmess(config, { logger: deps.logger }),
  });
}
