import { z } from 'zod';
import type { Outbound } from '../../adapter/outbound.js';
import { ProxyError } from '../../adapter/errors.js';
import type { ProtocolRegistry } from '../registry.js';
import { nonEmptyString } from '../../config/fields.js';

/** Refuses every connection; the inbound answers "not allowed" (SOCKS 0x02, HTTP 403). */
export function createReject(name = 'REJECT'): Outbound {
  return {
    name,
    type: 'reject',
    dial: async (destination) => {
      throw new ProxyError('RULE_REJECTED', `${destination.host}:${destination.port} rejected by ${name}`, { outbound: name });
    },
  };
}

export function register(registry: ProtocolRegistry): void {
  registry.register({
    type: 'reject',
    schema: z.object({ name: nonEmptyString('a non-empty name'), type: z.literal('reject') }),
    create: (config: { name: string }) => createReject(config.name),
  });
}
