/**
 * What the user's clicks are doing: one entry per action key (`latency:jp1`, `strategy:auto`), so the
 * button that started an action shows it running and the error appears next to that button, not in a
 * corner. An error stays until the same action is tried again.
 */
export interface ActionState {
  pending: boolean;
  error: string;
}

export const actions = $state<Record<string, ActionState>>({});

/** Runs `fn` under `key`; resolves with its value, or undefined after recording its error. Never throws. */
export async function runAction<T>(key: string, fn: () => Promise<T>): Promise<T | undefined> {
  actions[key] ??= { pending: false, error: '' };
  // Read back through the state proxy: the object literal itself is not reactive.
  const entry = actions[key];
  entry.pending = true;
  entry.error = '';
  try {
    return await fn();
  } catch (err) {
    entry.error = (err as Error).message || String(err);
    return undefined;
  } finally {
    entry.pending = false;
  }
}

export const isPending = (key: string): boolean => actions[key]?.pending ?? false;
export const errorOf = (key: string): string => actions[key]?.error ?? '';

/** Forgets an error the user dismissed. */
export function clearError(key: string): void {
  if (actions[key]) actions[key].error = '';
}
