import { z } from 'zod';
import type { Outbound } from '../../adapter/outbound.js';
import type { ProtocolRegistry } from '../registry.js';
import { connectTcp } from '../../transport/tcp.js';
import { nonEmptyString } from '../../config/fields.js';

export interface DirectConfig {
  name: string;
  type: 'direct';
}

/** Connects straight to the destination from this machine. */
export function createDirect(name = 'DIRECT'): Outbound {
  return {
    name,
    type: 'direct',
    // directReads: relay() takes the socket's reads without the stream machinery (core/transport/tcp.ts).
    dial: (destination, ctx) => connectTcp(destination, { signal: ctx.signal, directReads: true }),
  };
}

export function register(registry: ProtocolRegistry): void {
  registry.register({
    type: 'direct',
    schema: z.object({ name: nonEmptyString('a non-empty name'), type: z.literal('direct') }),
    create: (config: DirectConfig) => createDirect(config.name),
  });
}
