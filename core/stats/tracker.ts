import type { ConnectionMeta } from '../adapter/outbound.js';
import type { TrafficCounter, TrafficStats } from './traffic.js';

/** One open connection as the API shows it (the shape mirrors mihomo's /connections entries). */
export interface ConnectionSnapshot {
  id: string;
  network: string;
  inbound: string;
  source: string;
  destination: string;
  host: string;
  port: number;
  process?: string;
  processPath?: string;
  chain: string[];
  rule: string;
  rulePayload: string;
  upload: number;
  download: number;
  start: string;
}

/** A connection in the tracker. The relay bumps `up`/`down` through addUp/addDown on every chunk. */
export class TrackedConnection {
  up = 0;
  down = 0;
  private closed = false;
  private readonly counters: TrafficCounter[];

  constructor(
    readonly meta: ConnectionMeta,
    readonly chain: readonly string[],
    stats: TrafficStats,
    private readonly onClose: (c: TrackedConnection) => void,
    private readonly destroyStreams: () => void,
  ) {
    this.counters = [stats.total, ...chain.map((n) => stats.counter(n))];
    for (const c of this.counters) {
      c.active++;
      c.connections++;
    }
  }

  addUp(n: number): void {
    this.up += n;
    for (const c of this.counters) c.up += n;
  }

  addDown(n: number): void {
    this.down += n;
    for (const c of this.counters) c.down += n;
  }

  /** Marks it finished (idempotent). Called by the relay when both sides are done. */
  finish(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.counters) c.active--;
    this.onClose(this);
  }

  /** Ends it from outside (API "close connection", shutdown): destroys both streams. */
  close(): void {
    this.destroyStreams();
    this.finish();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  snapshot(): ConnectionSnapshot {
    const m = this.meta;
    return {
      id: m.id,
      network: m.network,
      inbound: m.inbound,
      source: `${m.source.address}:${m.source.port}`,
      destination: `${m.destination.host}:${m.destination.port}`,
      host: m.destination.host,
      port: m.destination.port,
      process: m.process?.name,
      processPath: m.process?.path,
      chain: [...this.chain],
      rule: m.rule ?? '',
      rulePayload: m.rulePayload ?? '',
      upload: this.up,
      download: this.down,
      start: new Date(m.startedAt).toISOString(),
    };
  }
}

/** Every open connection, for the API's list and close, and for a clean shutdown. */
export class ConnectionTracker {
  private readonly open = new Map<string, TrackedConnection>();
  private readonly closedListeners = new Set<(c: TrackedConnection) => void>();

  constructor(readonly stats: TrafficStats) {}

  track(meta: ConnectionMeta, chain: readonly string[], destroyStreams: () => void): TrackedConnection {
    const conn = new TrackedConnection(meta, chain, this.stats, (c) => this.closed(c), destroyStreams);
    this.open.set(meta.id, conn);
    return conn;
  }

  /** Calls `listener` with each connection as it finishes, final byte counts in place (per-app totals). Returns the unsubscribe. */
  onClosed(listener: (c: TrackedConnection) => void): () => void {
    this.closedListeners.add(listener);
    return () => this.closedListeners.delete(listener);
  }

  private closed(c: TrackedConnection): void {
    this.open.delete(c.meta.id);
    for (const listener of this.closedListeners) listener(c);
  }

  get(id: string): TrackedConnection | undefined {
    return this.open.get(id);
  }

  get size(): number {
    return this.open.size;
  }

  list(): TrackedConnection[] {
    return [...this.open.values()];
  }

  snapshot(): ConnectionSnapshot[] {
    return this.list().map((c) => c.snapshot());
  }

  closeAll(): void {
    for (const c of this.list()) c.close();
  }
}
