import { ApiRequestError, get, pathOf, request } from '../lib/api/client.js';
import { runAction } from './actions.svelte.js';
import { loadPools } from './pools.svelte.js';
import { loadProviders } from './providers.svelte.js';

/** A stored server as `GET /switchyard/servers` lists it (what the user chose about it). */
export interface StoredServer {
  id: string;
  name: string;
  type: string;
  subscription: string | null;
  subscriptionId: string | null;
  enabled: boolean;
  weight: number;
  unsupportedReason: string | null;
  /** The name it runs under in the core (it can differ from `name` when two servers share one); null while off. */
  outbound?: string | null;
}

/**
 * What the user decided about each server (enabled, weight), and adding, deleting and sharing servers:
 * all kept in the core's data directory, through `/switchyard/servers` (the shapes follow
 * core/subscription/server-listing.ts). While a core does not answer those routes, `unavailable` says why
 * and the controls stay disabled with that reason as their tooltip, rather than pretending to work.
 */
class ServerStore {
  /** Stored servers the core runs, by the name they run under (the name the stats stream uses). */
  byName = $state.raw<Map<string, StoredServer>>(new Map());
  /** Stored servers the core does not run: disabled, of a disabled subscription, or of an unsupported type. */
  off = $state.raw<StoredServer[]>([]);
  /** '' when the store routes answer; else the reason shown on every disabled control. */
  unavailable = $state('checking…');
}

export const serverStore = new ServerStore();

/** This core has no stored-server routes at all (they come with the data directory work). */
const NO_ROUTES = 'not offered by this core yet: it has no /switchyard/servers routes to change stored servers';

export async function loadServerStore(): Promise<void> {
  try {
    const body = await get<{ servers: StoredServer[] }>('/switchyard/servers');
    // A core that does not say where a server runs (no `outbound`) is taken at its word by name.
    const running = body.servers.filter((s) => s.outbound !== null);
    serverStore.byName = new Map(running.map((s) => [s.outbound ?? s.name, s]));
    serverStore.off = body.servers.filter((s) => s.outbound === null);
    serverStore.unavailable = '';
  } catch (err) {
    serverStore.byName = new Map();
    serverStore.off = [];
    serverStore.unavailable = err instanceof ApiRequestError && err.missingRoute ? NO_ROUTES : (err as Error).message;
  }
}

/** After a change the core's pools and providers changed too: what the page shows of them is read again. */
async function reloadAfterChange(): Promise<void> {
  await Promise.all([loadServerStore(), loadPools(), loadProviders()]);
}

/** The action key of a change to a stored server (its row shows the error under this key). */
export const storeActionKey = (action: 'enable' | 'weight' | 'link' | 'delete', server: StoredServer): string => `${action}:${server.id}`;

export function setEnabled(server: StoredServer, enabled: boolean): Promise<void | undefined> {
  return runAction(storeActionKey('enable', server), async () => {
    await request('PATCH', pathOf('/switchyard/servers', server.id), { enabled });
    await reloadAfterChange();
  });
}

export function setWeight(server: StoredServer, weight: number): Promise<void | undefined> {
  return runAction(storeActionKey('weight', server), async () => {
    if (!Number.isInteger(weight) || weight < 1 || weight > 1000) throw new Error(`weight: expected an integer 1-1000, got ${weight}`);
    await request('PATCH', pathOf('/switchyard/servers', server.id), { weight });
    await reloadAfterChange();
  });
}

export function deleteServer(server: StoredServer): Promise<void | undefined> {
  return runAction(storeActionKey('delete', server), async () => {
    await request('DELETE', pathOf('/switchyard/servers', server.id));
    await reloadAfterChange();
  });
}

/** Copies the server's share link (ss://, trojan://...) as the core writes it. */
export function copyShareLink(server: StoredServer): Promise<void | undefined> {
  return runAction(storeActionKey('link', server), async () => {
    const { link } = await get<{ link: string }>(pathOf('/switchyard/servers', server.id, 'link'));
    await navigator.clipboard.writeText(link);
  });
}

/** Adds servers from share links (one a line); resolves with how many were added. */
export function addByLink(text: string): Promise<number | undefined> {
  return runAction('add-link', async () => {
    const links = text
      .split(/\s+/)
      .map((l) => l.trim())
      .filter(Boolean);
    if (links.length === 0) throw new Error('paste at least one share link (ss://, vmess://, trojan://...)');
    const body = await request<{ added: number }>('POST', '/switchyard/servers', { links });
    await reloadAfterChange();
    return body.added;
  });
}
