import { clashProxy, type ClashProxy } from '../clash-shapes.js';
import { ApiError, noContent, notFound, sendJson } from '../http.js';
import type { ProxyProvider } from '../../subscription/providers.js';
import type { ApiContext, RouteTable } from '../types.js';

/** mihomo always lists the profile's own `proxies:` as the provider `default`, vehicle `Compatible`. */
const BUILT_IN = 'default';

interface ClashProxyProvider {
  name: string;
  type: 'Proxy';
  vehicleType: string;
  proxies: ClashProxy[];
  testUrl: string;
  expectedStatus: string;
  updatedAt: string;
  /** mihomo's keys; only for providers whose server sent Subscription-Userinfo. */
  subscriptionInfo?: { Upload: number; Download: number; Total: number; Expire: number };
  /** Ours, not mihomo's: a provider the app keeps in its store (a subscription, or the servers added by hand). */
  stored?: true;
}

/** mihomo writes Go's zero time for a provider never loaded; dashboards parse it as a date. */
const NEVER = '0001-01-01T00:00:00Z';

function builtInProvider(api: ApiContext): ClashProxyProvider {
  return {
    name: BUILT_IN,
    type: 'Proxy',
    vehicleType: 'Compatible',
    proxies: api.engine.profile.proxies.map((p) => clashProxy(api.engine, p.name, api.probes)!),
    testUrl: '',
    expectedStatus: '*',
    updatedAt: new Date(api.startedAt).toISOString(),
  };
}

function profileProvider(api: ApiContext, provider: ProxyProvider): ClashProxyProvider {
  const entry: ClashProxyProvider = {
    name: provider.name,
    type: 'Proxy',
    vehicleType: provider.vehicleType,
    proxies: provider.proxies.map((p) => clashProxy(api.engine, p.name, api.probes)).filter((p): p is ClashProxy => p !== undefined),
    testUrl: provider.config.healthCheck?.url ?? '',
    expectedStatus: '*',
    updatedAt: provider.updatedAt === undefined ? NEVER : new Date(provider.updatedAt).toISOString(),
  };
  if (provider.external) entry.stored = true;
  const { upload, download, total, expire } = provider.info;
  if (upload !== undefined || download !== undefined || total !== undefined || expire !== undefined) {
    entry.subscriptionInfo = { Upload: upload ?? 0, Download: download ?? 0, Total: total ?? 0, Expire: expire ?? 0 };
  }
  return entry;
}

function allProviders(api: ApiContext): Record<string, ClashProxyProvider> {
  const out: Record<string, ClashProxyProvider> = { [BUILT_IN]: builtInProvider(api) };
  for (const p of api.engine.providers?.list() ?? []) out[p.name] = profileProvider(api, p);
  return out;
}

function requireProvider(api: ApiContext, name: string): ClashProxyProvider {
  if (name === BUILT_IN) return builtInProvider(api);
  const provider = api.engine.providers?.get(name);
  if (!provider) throw notFound('proxy provider', name);
  return profileProvider(api, provider);
}

export const providerRoutes: RouteTable = [
  { method: 'GET', path: '/providers/proxies', handle: ({ res, api }) => sendJson(res, 200, { providers: allProviders(api) }) },
  { method: 'GET', path: '/providers/proxies/:name', handle: ({ res, params, api }) => sendJson(res, 200, requireProvider(api, params.name!)) },
  {
    method: 'PUT',
    path: '/providers/proxies/:name',
    // The built-in provider is the profile itself: there is nothing to fetch, as in mihomo. A failed
    // download answers 503 like mihomo, and the provider keeps the proxies it had.
    handle: async ({ res, params, api }) => {
      const name = params.name!;
      requireProvider(api, name);
      if (name !== BUILT_IN) {
        try {
          await api.engine.providers!.refresh(name);
        } catch (err) {
          throw new ApiError(503, `proxy provider ${JSON.stringify(name)}: ${(err as Error).message}`);
        }
      }
      noContent(res);
    },
  },
  { method: 'GET', path: '/providers/rules', handle: ({ res }) => sendJson(res, 200, { providers: {} }) },
  {
    method: 'PUT',
    path: '/providers/rules/:name',
    handle: ({ params }) => {
      throw notFound('rule provider', params.name!);
    },
  },
];
