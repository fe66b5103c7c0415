import type { DialContext, Destination } from '../../../../core/adapter/outbound.js';

/** The context a router would hand an outbound for one client connection. */
export function dialContext(destination: Destination, signal?: AbortSignal): DialContext {
  return {
    meta: {
      id: `test-${Math.random().toString(36).slice(2)}`,
      network: 'tcp',
      inbound: 'socks5',
      source: { address: '127.0.0.1', port: 50000 },
      destination,
      startedAt: Date.now(),
    },
    chain: [],
    signal,
  };
}
