/** Byte and connection counters for one outbound (server or pool) or for everything. */
export interface TrafficCounter {
  up: number;
  down: number;
  /** Connections open now. */
  active: number;
  /** Connections ever carried. */
  connections: number;
  /** Bytes per second over the last tick. */
  upRate: number;
  downRate: number;
  lastUp: number;
  lastDown: number;
}

export interface TrafficSample {
  name: string;
  up: number;
  down: number;
  upRate: number;
  downRate: number;
  active: number;
  connections: number;
}

const newCounter = (): TrafficCounter => ({ up: 0, down: 0, active: 0, connections: 0, upRate: 0, downRate: 0, lastUp: 0, lastDown: 0 });

/**
 * Plain numbers bumped on every chunk; one timer a second turns them into rates (the mihomo way, so the
 * data path never does more than an addition per counter).
 */
export class TrafficStats {
  readonly total: TrafficCounter = newCounter();
  private readonly byName = new Map<string, TrafficCounter>();
  private readonly listeners = new Set<(stats: TrafficStats) => void>();
  private timer?: NodeJS.Timeout;

  counter(name: string): TrafficCounter {
    let c = this.byName.get(name);
    if (!c) this.byName.set(name, (c = newCounter()));
    return c;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Turns the counts since the last tick into rates. Called every second by start(); tests call it directly. */
  tick(): void {
    for (const c of [this.total, ...this.byName.values()]) {
      c.upRate = c.up - c.lastUp;
      c.downRate = c.down - c.lastDown;
      c.lastUp = c.up;
      c.lastDown = c.down;
    }
    for (const l of this.listeners) l(this);
  }

  /** Called after each tick. Returns the unsubscribe function. */
  onTick(listener: (stats: TrafficStats) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(intervalMs = 1000): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  sample(name: string): TrafficSample {
    return toSample(name, this.byName.get(name) ?? newCounter());
  }

  samples(): TrafficSample[] {
    return [...this.byName].map(([name, c]) => toSample(name, c));
  }
}

const toSample = (name: string, c: TrafficCounter): TrafficSample => ({
  name,
  up: c.up,
  down: c.down,
  upRate: c.upRate,
  downRate: c.downRate,
  active: c.active,
  connections: c.connections,
});
