import type { Store } from '../../store/index.js';
import { listServers } from '../../subscription/server-listing.js';
import { parseLink, exportLink } from '../../subscription/links/index.js';
import { serverInputs } from '../../subscription/refresh-servers.js';
import type { ParsedSubscription } from '../../subscription/formats/collector.js';
import { createProtocolRegistry } from '../../protocol/index.js';
import type { ProtocolRegistry } from '../../protocol/registry.js';
import { ApiError, badField, noContent, notFound, readJsonObject, sendJson } from '../http.js';
import type { ApiContext, RouteTable } from '../types.js';

const MAX_LINKS = 1000;
let registry: ProtocolRegistry | undefined;

/** The store behind the subscriptions, or a 503: a core without a data directory keeps no servers. */
function requireStore(api: ApiContext): Store {
  return api.requireSubscriptions().store;
}

/** The stored servers as listed, with the names they run under in this engine. */
function listing(api: ApiContext, subscriptionId?: string | null) {
  const stored = api.engine.stored;
  return listServers(api.subscriptions!.store, subscriptionId, stored && ((id) => stored.outboundName(id)));
}

/** After a change: the running pools follow now, so the answer (and the next connection) sees it. */
function applyToEngine(api: ApiContext): void {
  api.engine.stored?.sync();
}

/** The store and the server, or a 404: without a data directory there are no servers to find. */
function requireServer(api: ApiContext, id: string) {
  const store = api.subscriptions?.store;
  const server = store?.servers.get(id);
  if (!store || !server) throw notFound('server', id);
  return { store, server };
}

/**
 * Stored servers, for the Servers page: list (never credentials), add by share links, enable/disable,
 * weight, delete, and the share link of one (which does carry its credentials: the user asked to copy it).
 */
export const serverRoutes: RouteTable = [
  {
    method: 'GET',
    path: '/switchyard/servers',
    handle: ({ res, api }) => sendJson(res, 200, { servers: api.subscriptions ? listing(api) : [] }),
  },
  {
    method: 'POST',
    path: '/switchyard/servers',
    handle: async ({ req, res, api }) => {
      const body = await readJsonObject(req);
      const raw = typeof body.links === 'string' ? body.links.split(/\r?\n/).map((l) => l.trim()).filter(Boolean) : body.links;
      if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_LINKS || raw.some((l) => typeof l !== 'string')) {
        throw badField('links', `share links (a list of 1-${MAX_LINKS} strings, or one string with a link per line)`, body.links);
      }
      const store = requireStore(api);
      const parsed: ParsedSubscription = { format: 'plain', proxies: [], unsupported: [], errors: [] };
      const errors: { index: number; message: string }[] = [];
      (raw as string[]).forEach((link, index) => {
        const r = parseLink(link);
        if ('ok' in r) parsed.proxies.push(r.ok);
        else if ('unsupported' in r) parsed.unsupported.push(r.unsupported);
        else errors.push({ index, message: r.error.message });
      });
      // Nothing usable: the first bad link is the answer, named by its place in the list.
      if (parsed.proxies.length + parsed.unsupported.length === 0) throw new ApiError(400, `links[${errors[0]!.index}]: ${errors[0]!.message}`);
      const inputs = serverInputs(null, parsed, (registry ??= createProtocolRegistry()));
      const before = new Set(store.servers.listForSubscription(null).map((s) => s.id));
      store.servers.addManual(inputs);
      applyToEngine(api);
      const ids = new Set(inputs.map((s) => s.id));
      sendJson(res, 201, {
        added: inputs.filter((s) => !before.has(s.id)).length,
        servers: listing(api, null).filter((s) => ids.has(s.id)),
        errors,
      });
    },
  },
  {
    method: 'PATCH',
    path: '/switchyard/servers/:id',
    handle: async ({ req, res, params, api }) => {
      const body = await readJsonObject(req);
      const unknown = Object.keys(body).filter((k) => k !== 'enabled' && k !== 'weight');
      if (unknown.length) throw new ApiError(400, `${unknown.join(', ')}: unknown field (a server takes enabled, weight)`);
      if (body.enabled !== undefined && typeof body.enabled !== 'boolean') throw badField('enabled', 'true or false', body.enabled);
      const w = body.weight;
      if (w !== undefined && !(typeof w === 'number' && Number.isInteger(w) && w >= 1 && w <= 1000)) throw badField('weight', 'an integer 1-1000', w);
      const { store } = requireServer(api, params.id!);
      if (typeof body.enabled === 'boolean') store.servers.setEnabled(params.id!, body.enabled);
      if (typeof w === 'number') store.servers.setWeight(params.id!, w);
      applyToEngine(api);
      sendJson(res, 200, listing(api).find((s) => s.id === params.id)!);
    },
  },
  {
    method: 'DELETE',
    path: '/switchyard/servers/:id',
    handle: ({ res, params, api }) => {
      const { store, server } = requireServer(api, params.id!);
      // It would only come back with the next refresh; disabling it is what sticks.
      if (server.subscriptionId !== null) {
        throw new ApiError(409, `server ${JSON.stringify(server.name)} comes from a subscription and would return on its next refresh; disable it instead`);
      }
      store.servers.delete(params.id!);
      applyToEngine(api);
      noContent(res);
    },
  },
  {
    method: 'GET',
    path: '/switchyard/servers/:id/link',
    handle: ({ res, params, api }) => {
      const { server } = requireServer(api, params.id!);
      try {
        const link = server.unsupportedReason && server.link ? server.link : exportLink({ ...server.config, name: server.name, type: server.type } as Parameters<typeof exportLink>[0]);
        sendJson(res, 200, { link });
      } catch (err) {
        throw new ApiError(422, `server ${JSON.stringify(server.name)} has no share link: ${(err as Error).message}`);
      }
    },
  },
];
