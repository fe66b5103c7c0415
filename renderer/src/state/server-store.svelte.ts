import { ApiRequestError, get, pathOf, request } from '../lib/api/client.js';
import { runAction } from './actions.svelte.js';

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
}

/**
 * What the user decided about each server (enabled, weight), and adding, deleting and sharing servers:
 * all kept in the core's data directory, through `/switchyard/servers` (the shapes follow
 * core/subscription/server-listing.ts). While a core does not answer those routes, `unavailable` says why
 * and the controls stay disabled with that reason as their tooltip, rather than pretending to work.
 */
class ServerStore {
  byName = $state.raw<Map<string, StoredServer>>(new Map());
  /** '' when the store routes answer; else the reason shown on every disabled control. */
  unavailable = $state('checking…');
}

export const serverStore = new ServerStore();

/** This core has no stored-server routes at all (they come with the data directory work). */
const NO_ROUTES = 'not offered by this core yet: it has no /switchyard/servers routes to change stored servers';

export async function loadServerStore(): Promise<void> {
  try {
    const body = await get<{ servers: StoredServer[] }>('/switchyard/servers');
    serverStore.byName = new Map(body.servers.map((s) => [s.name, s]));
    serverStore.unavailable = '';
  } catch (err) {
    serverStore.byName = new Map();
    serverStore.unavailable = err instanceof ApiRequestError && err.missingRoute ? NO_ROUTES : (err as Error).message;
  }
}

function idOf(name: string): string {
  const s = serverStore.byName.get(name);
  if (!s) throw new Error(`${name} is not a stored server (it comes from the profile file)`);
  return s.id;
}

export function setEnabled(name: string, enabled: boolean): Promise<void | undefined> {
  return runAction(`enable:${name}`, async () => {
    await request('PATCH', pathOf('/switchyard/servers', idOf(name)), { enabled });
    await loadServerStore();
  });
}

export function setWeight(name: string, weight: number): Promise<void | undefined> {
  return runAction(`weight:${name}`, async () => {
    if (!Number.isInteger(weight) || weight < 1 || weight > 1000) throw new Error(`weight: expected an integer 1-1000, got ${weight}`);
    await request('PATCH', pathOf('/switchyard/servers', idOf(name)), { weight });
    await loadServerStore();
  });
}

export function deleteServer(name: string): Promise<void | undefined> {
  return runAction(`delete:${name}`, async () => {
    await request('DELETE', pathOf('/switchyard/servers', idOf(name)));
    await loadServerStore();
  });
}

/** Copies the server's share link (ss://, trojan://...) as the core writes it. */
export function copyShareLink(name: string): Promise<void | undefined> {
  return runAction(`link:${name}`, async () => {
    const { link } = await get<{ link: string }>(pathOf('/switchyard/servers', idOf(name), 'link'));
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
    await loadServerStore();
    return body.added;
  });
}
