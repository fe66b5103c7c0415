import { z } from 'zod';
import { ProtocolRegistry } from '../../../core/protocol/registry.js';
import * as direct from '../../../core/protocol/direct/index.js';
import * as reject from '../../../core/protocol/reject/index.js';
import { baseProxyShape, nonEmptyString, oneOf } from '../../../core/config/fields.js';

/**
 * A fresh registry with the real direct and reject protocols plus small stand-in schemas for `ss` and
 * `socks5`, so these tests do not depend on the protocol modules others are still writing.
 * Building an outbound from the stand-ins is not something these tests need, so create() refuses.
 */
export function testRegistry(): ProtocolRegistry {
  const registry = new ProtocolRegistry();
  direct.register(registry);
  reject.register(registry);
  const noRuntime = () => {
    throw new Error('test schema only');
  };
  registry.register({
    type: 'ss',
    schema: z.object({
      ...baseProxyShape,
      type: z.literal('ss'),
      cipher: oneOf(['aes-128-gcm', 'aes-256-gcm', 'chacha20-ietf-poly1305']),
      password: nonEmptyString(),
    }),
    create: noRuntime,
  });
  registry.register({
    type: 'socks5',
    aliases: ['socks'],
    schema: z.object({
      ...baseProxyShape,
      type: z.enum(['socks5', 'socks']),
      username: z.string().optional(),
      password: z.string().optional(),
    }),
    create: noRuntime,
  });
  return registry;
}
