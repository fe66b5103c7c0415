import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { throttle, systemTimers } from '../../../electron/throttle.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('throttle', () => {
  it('runs at once, then at most once a second however often it is asked', () => {
    const runs: number[] = [];
    const start = Date.now();
    const request = throttle(() => runs.push(Date.now() - start), 1000, systemTimers);
    request();
    expect(runs).toEqual([0]);
    for (let t = 0; t < 3000; t += 50) {
      request();
      vi.advanceTimersByTime(50);
    }
    expect(runs).toEqual([0, 1000, 2000, 3000]);
  });

  it('never loses the last request of a burst: it runs when the interval ends', () => {
    let state = 0;
    const seen: number[] = [];
    const request = throttle(() => seen.push(state), 1000, systemTimers);
    request();
    state = 1;
    request();
    state = 2;
    request();
    expect(seen).toEqual([0]);
    vi.advanceTimersByTime(999);
    expect(seen).toEqual([0]);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual([0, 2]);
    vi.advanceTimersByTime(5000);
    expect(seen).toEqual([0, 2]);
  });

  it('runs at once again after a quiet interval', () => {
    const fn = vi.fn();
    const request = throttle(fn, 1000, systemTimers);
    request();
    vi.advanceTimersByTime(1500);
    request();
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('cancel drops the pending run', () => {
    const fn = vi.fn();
    const request = throttle(fn, 1000, systemTimers);
    request();
    request();
    request.cancel();
    vi.advanceTimersByTime(2000);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
