/** The timer functions a throttle needs; tests pass vitest's fake timers through the defaults. */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface Throttled {
  /** Asks for a run: now if the last one was at least the interval ago, else once at the end of it. */
  (): void;
  /** Drops a pending run (on quit). */
  cancel(): void;
}

/**
 * At most one run of `fn` per `intervalMs`, and never a request lost: a burst of requests gives one run at
 * once and one more when the interval ends, which sees the latest state.
 */
export function throttle(fn: () => void, intervalMs: number, timers: Timers = systemTimers): Throttled {
  let lastRun = -Infinity;
  let pending: unknown;
  const run = () => {
    pending = undefined;
    lastRun = timers.now();
    fn();
  };
  const request = () => {
    if (pending !== undefined) return;
    const wait = lastRun + intervalMs - timers.now();
    if (wait <= 0) run();
    else pending = timers.setTimeout(run, wait);
  };
  request.cancel = () => {
    if (pending !== undefined) timers.clearTimeout(pending);
    pending = undefined;
  };
  return request;
}
