import { get, pathOf, request } from '../lib/api/client.js';
import type { ServerListing, SubscriptionView } from '../lib/api/types.js';
import { runAction } from './actions.svelte.js';
import { loadProviders } from './providers.svelte.js';

/**
 * Stored subscriptions (`/switchyard/subscriptions`, kept in the core's data directory): add, refresh,
 * delete, and the servers each one brought. A core without a data directory lists none and refuses to
 * add one with a 503 that says so; that message is shown by the form.
 */
class SubscriptionsStore {
  list = $state.raw<SubscriptionView[]>([]);
  /** Servers of the subscriptions the user opened, by id. */
  servers = $state<Record<string, ServerListing[]>>({});
  error = $state('');
}

export const subscriptions = new SubscriptionsStore();

export async function loadSubscriptions(): Promise<void> {
  try {
    const body = await get<{ subscriptions: SubscriptionView[] }>('/switchyard/subscriptions');
    subscriptions.list = body.subscriptions;
    subscriptions.error = '';
    for (const id of Object.keys(subscriptions.servers)) await loadServersOf(id);
  } catch (err) {
    subscriptions.error = (err as Error).message;
  }
}

async function loadServersOf(id: string): Promise<void> {
  if (!subscriptions.list.some((s) => s.id === id)) {
    delete subscriptions.servers[id];
    return;
  }
  const body = await get<{ servers: ServerListing[] }>(pathOf('/switchyard/subscriptions', id, 'servers'));
  subscriptions.servers[id] = body.servers;
}

/** Opens or closes the list of a subscription's servers. */
export function toggleServers(id: string): Promise<void | undefined> {
  if (subscriptions.servers[id]) {
    delete subscriptions.servers[id];
    return Promise.resolve();
  }
  return runAction(`subscription:servers:${id}`, () => loadServersOf(id));
}

/** Resolves true once the subscription is stored and fetched the first time. */
export function addSubscription(url: string, name: string): Promise<boolean | undefined> {
  return runAction('subscription:add', async () => {
    const body: Record<string, string> = { url: url.trim() };
    if (name.trim()) body.name = name.trim();
    const added = await request<{ subscription: SubscriptionView; result?: { ok: boolean; error?: string } }>('POST', '/switchyard/subscriptions', body);
    await loadSubscriptions();
    // Stored, but the first download failed: say so where the user acted (the row shows it too).
    if (added.result && !added.result.ok) throw new Error(`added, but the first download failed: ${added.result.error}`);
    return true;
  });
}

export function refreshSubscription(id: string): Promise<void | undefined> {
  return runAction(`subscription:refresh:${id}`, async () => {
    try {
      await request('POST', pathOf('/switchyard/subscriptions', id, 'refresh'));
    } finally {
      await loadSubscriptions(); // a failed refresh is recorded on the subscription too
    }
  });
}

export function deleteSubscription(id: string): Promise<void | undefined> {
  return runAction(`subscription:delete:${id}`, async () => {
    await request('DELETE', pathOf('/switchyard/subscriptions', id));
    await loadSubscriptions();
  });
}

/** Downloads a profile proxy-provider again (mihomo's PUT /providers/proxies/{name}); its servers join the pools that use it. */
export function refreshProvider(name: string): Promise<void | undefined> {
  return runAction(`provider:refresh:${name}`, async () => {
    try {
      await request('PUT', pathOf('/providers/proxies', name));
    } finally {
      await loadProviders();
    }
  });
}
