import { get, pathOf, request } from '../lib/api/client.js';
import type { AppsAnswer } from '../../../core/route/app-policies.js';
import type { AppPolicyKind, AppView } from '../../../core/route/apps.js';
import { runAction } from './actions.svelte.js';

export type { AppView, AppPolicyKind };

/**
 * Applications seen in the last 7 days and the user's policy for each (`/switchyard/apps`, shapes from
 * core/route/app-policies.ts). Read again every few seconds while the page is open, since the totals grow
 * with every connection and a new app may show up at any time.
 */
class AppsStore {
  list = $state.raw<AppView[]>([]);
  tracking = $state(false);
  lookupAvailable = $state(true);
  /** Pools a policy may send an app to, as the core names them. */
  pools = $state.raw<string[]>([]);
  note = $state('');
  loaded = $state(false);
  error = $state('');
}

export const apps = new AppsStore();

/** The key each app's controls record their errors under. */
export const policyActionKey = (key: string): string => `app:${key}`;
export const TRACKING_ACTION = 'apps:tracking';

export async function loadApps(): Promise<void> {
  try {
    const body = await get<AppsAnswer>('/switchyard/apps');
    apps.list = body.apps;
    apps.tracking = body.tracking;
    apps.lookupAvailable = body.lookupAvailable;
    apps.pools = body.pools;
    apps.note = body.note;
    apps.error = '';
  } catch (err) {
    apps.error = (err as Error).message;
  } finally {
    apps.loaded = true;
  }
}

/** Loads now and every `intervalMs` until the returned function is called (the page's lifetime). */
export function useApps(intervalMs = 2000): () => void {
  void loadApps();
  const timer = setInterval(loadApps, intervalMs);
  return () => clearInterval(timer);
}

/** Turns the per-connection process lookup on or off; the list then shows what the core has. */
export function setTracking(on: boolean): Promise<void | undefined> {
  return runAction(TRACKING_ACTION, async () => {
    try {
      await request('PATCH', '/switchyard/apps', { tracking: on });
    } finally {
      await loadApps();
    }
  });
}

/**
 * Sets an app's policy (`target` names the pool for `pool`); with `closeConnections` the core also ends
 * the app's open connections so they reconnect under the new policy. Resolves with how many it closed.
 */
export function setAppPolicy(key: string, policy: AppPolicyKind, target: string | null, closeConnections: boolean): Promise<number | undefined> {
  return runAction(policyActionKey(key), async () => {
    const body: { policy: AppPolicyKind; target?: string; closeConnections?: boolean } = { policy };
    if (policy === 'pool') {
      if (!target) throw new Error('choose a pool first');
      body.target = target;
    }
    if (closeConnections) body.closeConnections = true;
    try {
      const answer = await request<{ closed: number }>('PUT', pathOf('/switchyard/apps', key), body);
      return answer.closed;
    } finally {
      await loadApps();
    }
  });
}
