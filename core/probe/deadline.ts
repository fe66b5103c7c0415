import { ProxyError, fromSocketError } from '../adapter/errors.js';
import { ProbeFailure } from './errors.js';

/**
 * Runs `task` with a signal that aborts after `timeoutMs`; whatever the task then fails with, the caller
 * sees TIMEOUT (an aborted dial reports ABORTED, which would hide why it was aborted).
 */
export async function withDeadline<T>(timeoutMs: number, what: string, task: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new ProxyError('TIMEOUT', `${what} took longer than ${timeoutMs} ms`)), timeoutMs);
  try {
    return await task(controller.signal);
  } catch (err) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** The `{ code, message }` of a failed probe; the messages come from our own errors, which never carry credentials. */
export function describeFailure(err: unknown): { code: string; message: string } {
  const e = err instanceof ProbeFailure || err instanceof ProxyError ? err : fromSocketError(err, 'probe');
  return { code: e.code, message: e.message };
}
