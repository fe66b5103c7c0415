import { describe, expect, it } from 'vitest';
import { LatencyWindowTracker } from '../../../core/probe/window.js';
import { ConcurrencyLimiter } from '../../../core/probe/limiter.js';

describe('LatencyWindowTracker', () => {
  it('keeps the last N results: mean and jitter of successes, loss over all', () => {
    const w = new LatencyWindowTracker(4);
    expect(w.summary()).toEqual({ samples: 0, loss: 0 });
    w.add({ ok: true, latencyMs: 500 }); // falls out of the window below
    w.add({ ok: true, latencyMs: 100 });
    w.add({ ok: false });
    w.add({ ok: true, latencyMs: 140 });
    w.add({ ok: true, latencyMs: 120 });
    const s = w.summary();
    expect(s.samples).toBe(4);
    expect(s.loss).toBe(0.25);
    expect(s.meanMs).toBeCloseTo(120, 10);
    expect(s.jitterMs).toBeCloseTo((40 + 20) / 2, 10);
  });

  it('has no mean while everything failed, and no jitter from one success', () => {
    const w = new LatencyWindowTracker(10);
    w.add({ ok: false });
    expect(w.summary()).toEqual({ samples: 1, loss: 1 });
    w.add({ ok: true, latencyMs: 80 });
    expect(w.summary()).toEqual({ samples: 2, loss: 0.5, meanMs: 80 });
  });
});

describe('ConcurrencyLimiter', () => {
  it('never runs more than max at once and runs them in arrival order', async () => {
    const limiter = new ConcurrencyLimiter(3);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limiter.run(async () => {
          order.push(i);
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(limiter.active).toBe(0);
  });

  it('frees the slot when a task throws', async () => {
    const limiter = new ConcurrencyLimiter(1);
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run(async () => 7)).resolves.toBe(7);
    expect(() => new ConcurrencyLimiter(0)).toThrow(RangeError);
  });
});
