export { MixedInbound, bindHost, DEFAULT_MIXED_PORT, DEFAULT_HANDSHAKE_TIMEOUT_MS } from './mixed.js';
export type { MixedInboundOptions, BoundAddress } from './mixed.js';
export { Credentials } from './credentials.js';
