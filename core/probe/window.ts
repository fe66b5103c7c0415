import type { LatencyResult, LatencyWindow } from '../adapter/prober.js';

export const DEFAULT_WINDOW_SIZE = 10;

/**
 * The last N latency results of one outbound: mean of the successful ones, jitter (mean absolute
 * difference between consecutive successful samples) and loss (failed share of all N).
 */
export class LatencyWindowTracker {
  private readonly results: { ok: boolean; ms?: number }[] = [];

  constructor(readonly size = DEFAULT_WINDOW_SIZE) {}

  add(result: Pick<LatencyResult, 'ok' | 'latencyMs'>): void {
    this.results.push({ ok: result.ok, ms: result.latencyMs });
    if (this.results.length > this.size) this.results.shift();
  }

  summary(): LatencyWindow {
    const n = this.results.length;
    const ok = this.results.filter((r) => r.ok && r.ms !== undefined).map((r) => r.ms!);
    const window: LatencyWindow = { samples: n, loss: n === 0 ? 0 : (n - ok.length) / n };
    if (ok.length) window.meanMs = ok.reduce((a, b) => a + b, 0) / ok.length;
    if (ok.length >= 2) {
      let sum = 0;
      for (let i = 1; i < ok.length; i++) sum += Math.abs(ok[i]! - ok[i - 1]!);
      window.jitterMs = sum / (ok.length - 1);
    }
    return window;
  }
}
