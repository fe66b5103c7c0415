import type { Duplex } from 'node:stream';
import type { Outbound } from '../adapter/outbound.js';
import type { StrategyMember } from '../adapter/strategy.js';

export interface PassiveHealthOptions {
  /** Failures within `failWindowMs` that take the member out. */
  maxFailedTimes: number;
  failWindowMs: number;
  /** How long an ejected member stays out. */
  failTimeoutMs: number;
}

/** What probes report about a member; fields left out keep their value. */
export interface ProbeState {
  alive?: boolean;
  latencyMs?: number;
  speedMbps?: number;
}

/** How many recent dial outcomes feed `failureRate`. */
const OUTCOME_HISTORY = 50;

/**
 * One member's runtime state inside one pool: passive health (failures, ejection), probe results and
 * open connections. Strategies never see this class, only the read-only `view()`.
 */
export class PoolMember {
  activeConnections = 0;
  latencyMs?: number;
  speedMbps?: number;
  /** false once a probe found it dead; a later successful probe sets it back. */
  probeAlive = true;
  ejectedUntil?: number;
  private failureTimes: number[] = [];
  private outcomes: { at: number; ok: boolean }[] = [];

  constructor(
    /** outbound, index and weight change only through rebind(). */
    public outbound: Outbound,
    public index: number,
    public weight: number,
    private readonly health: PassiveHealthOptions,
  ) {}

  /** A provider refresh kept this member's name: it takes the new outbound, place and weight, and keeps its state. */
  rebind(outbound: Outbound, index: number, weight: number): void {
    this.outbound = outbound;
    this.index = index;
    this.weight = weight;
  }

  get name(): string {
    return this.outbound.name;
  }

  isEjected(now: number): boolean {
    if (this.ejectedUntil === undefined) return false;
    if (this.ejectedUntil > now) return true;
    this.ejectedUntil = undefined; // fail-timeout is over: it is back, with a clean slate
    return false;
  }

  /** Failures counted now: those inside the window since the last success or ejection. */
  failures(now: number): number {
    this.pruneFailures(now);
    return this.failureTimes.length;
  }

  failureRate(now: number): number {
    const recent = this.outcomes.filter((o) => o.at > now - this.health.failWindowMs);
    return recent.length === 0 ? 0 : recent.filter((o) => !o.ok).length / recent.length;
  }

  /** Counts a failed dial; returns true when this failure ejected the member. */
  recordFailure(now: number): boolean {
    this.remember(now, false);
    if (this.isEjected(now)) return false; // dials already in flight when it was ejected
    this.pruneFailures(now);
    this.failureTimes.push(now);
    if (this.failureTimes.length < this.health.maxFailedTimes) return false;
    this.failureTimes = [];
    this.ejectedUntil = now + this.health.failTimeoutMs;
    return true;
  }

  recordSuccess(now: number): void {
    this.remember(now, true);
    this.failureTimes = [];
  }

  applyProbe(state: ProbeState): void {
    if (state.alive !== undefined) this.probeAlive = state.alive;
    if (state.latencyMs !== undefined) this.latencyMs = state.latencyMs;
    if (state.speedMbps !== undefined) this.speedMbps = state.speedMbps;
  }

  /**
   * Counts a connection as this member's from the moment it is picked: a burst of concurrent dials must see
   * each other, or least-connections would send the whole burst to one member.
   */
  beginDial(): void {
    this.activeConnections++;
  }

  /** The dial begun with beginDial() failed. */
  dialFailed(): void {
    this.activeConnections--;
  }

  /** The dial begun with beginDial() succeeded: the connection stays counted until the stream emits 'close'. */
  trackStream(stream: Duplex): void {
    let open = true;
    const release = () => {
      if (!open) return;
      open = false;
      this.activeConnections--;
    };
    if (stream.closed) release();
    else stream.once('close', release);
  }

  view(now: number): StrategyMember {
    return {
      name: this.name,
      index: this.index,
      weight: this.weight,
      activeConnections: this.activeConnections,
      latencyMs: this.latencyMs,
      failureRate: this.failureRate(now),
      speedMbps: this.speedMbps,
    };
  }

  private pruneFailures(now: number): void {
    const from = now - this.health.failWindowMs;
    if (this.failureTimes.length > 0 && this.failureTimes[0]! <= from) this.failureTimes = this.failureTimes.filter((t) => t > from);
  }

  private remember(at: number, ok: boolean): void {
    this.outcomes.push({ at, ok });
    if (this.outcomes.length > OUTCOME_HISTORY) this.outcomes.shift();
  }
}
