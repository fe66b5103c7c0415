import type { ConnectionMeta } from './outbound.js';

/** The view of a pool member a strategy may read. Strategies never mutate it. */
export interface StrategyMember {
  readonly name: string;
  /** Position in the pool's configured list; ties break on it. */
  readonly index: number;
  readonly weight: number;
  /** Connections currently open through this member from this pool. */
  readonly activeConnections: number;
  /** Latest measured latency in ms, undefined when never measured (filled by probes). */
  readonly latencyMs?: number;
  /** Recent dial failure rate 0..1 (passive health). */
  readonly failureRate: number;
  /** Latest measured download speed in Mbit/s (filled by probes). */
  readonly speedMbps?: number;
}

export interface StrategyOptions {
  /** ms hysteresis for least-latency. */
  tolerance?: number;
  /** Seeded randomness for tests; Math.random by default. */
  random?: () => number;
  /** Clock for time-based state (sticky sessions); Date.now by default. */
  now?: () => number;
}

/**
 * Picks one of `members` (already filtered to the ones alive, never empty) for a connection.
 * A strategy is a named factory returning a closure that owns its own state.
 */
export type Pick = (members: readonly StrategyMember[], meta: ConnectionMeta) => StrategyMember;
export type StrategyFactory = (options: StrategyOptions) => Pick;
