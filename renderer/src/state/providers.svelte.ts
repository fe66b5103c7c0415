import { get } from '../lib/api/client.js';
import type { ProxyProvider } from '../lib/api/types.js';

/** mihomo's name for the profile's own `proxies:` list, shown as such. */
export const PROFILE_PROVIDER = 'default';

/**
 * `GET /providers/proxies`: which servers came from which subscription (and which from the profile
 * itself), for grouping the servers page. Fetched on load and after imports and refreshes.
 */
class ProvidersStore {
  list = $state.raw<ProxyProvider[]>([]);
  error = $state('');

  /** Provider name of each server. */
  readonly providerOf = $derived.by(() => {
    const map = new Map<string, string>();
    for (const p of this.list) for (const s of p.proxies) if (!map.has(s.name)) map.set(s.name, p.name);
    return map;
  });
}

export const providers = new ProvidersStore();

export async function loadProviders(): Promise<void> {
  try {
    const body = await get<{ providers: Record<string, ProxyProvider> }>('/providers/proxies');
    providers.list = Object.values(body.providers);
    providers.error = '';
  } catch (err) {
    providers.error = (err as Error).message;
  }
}

export const providerLabel = (name: string): string => (name === PROFILE_PROVIDER ? 'Profile' : name);
