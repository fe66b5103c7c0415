export interface RestartPolicyOptions {
  /** Wait before the first restart; doubles with each crash in the window. Default 1 s. */
  baseDelayMs?: number;
  /** Default 30 s. */
  maxDelayMs?: number;
  /** This many crashes within `windowMs` and the supervisor stops trying. Default 5. */
  maxCrashes?: number;
  /** Default 2 minutes: a core that ran longer than that starts over at the base delay. */
  windowMs?: number;
}

export type RestartDecision = { action: 'restart'; delayMs: number; crashesInWindow: number } | { action: 'give-up'; crashesInWindow: number };

const DEFAULTS = { baseDelayMs: 1000, maxDelayMs: 30_000, maxCrashes: 5, windowMs: 120_000 };

/**
 * After a crash: restart with exponential backoff, or give up when the core keeps crashing (a restart loop
 * would only burn CPU and hide the problem from the user). `crashTimes` includes the crash just seen.
 */
export function decideRestart(crashTimes: readonly number[], now: number, options: RestartPolicyOptions = {}): RestartDecision {
  const o = { ...DEFAULTS, ...options };
  const crashesInWindow = crashTimes.filter((t) => now - t < o.windowMs).length;
  if (crashesInWindow >= o.maxCrashes) return { action: 'give-up', crashesInWindow };
  const delayMs = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** Math.max(0, crashesInWindow - 1));
  return { action: 'restart', delayMs, crashesInWindow };
}
