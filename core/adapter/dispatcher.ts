import type { Duplex } from 'node:stream';
import type { ConnectionMeta } from './outbound.js';
import type { TrackedConnection } from '../stats/tracker.js';

/** A connection the router has carried to its outbound; the inbound answers its client, then relays. */
export interface OpenedConnection {
  readonly upstream: Duplex;
  readonly tracked: TrackedConnection;
  /** Relays client ⇄ upstream with byte counting until both close (core/stats/relay.ts). */
  relay(client: Duplex): Promise<void>;
}

/**
 * What an inbound hands a parsed request to: it applies the rules, dials the chosen outbound and
 * registers the connection with the tracker. Rejects with a ProxyError whose code the inbound turns into
 * the protocol's error reply.
 */
export interface Dispatcher {
  open(meta: ConnectionMeta): Promise<OpenedConnection>;
}
