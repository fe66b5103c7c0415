import { clashProxy, type ClashProxy } from '../clash-shapes.js';
import { noContent, notFound, sendJson } from '../http.js';
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
}

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

/** Subscriptions (proxy-providers) are not loaded yet: until they are, only the built-in one exists. */
function requireProvider(api: ApiContext, name: string): ClashProxyProvider {
  if (name !== BUILT_IN) throw notFound('proxy provider', name);
  return builtInProvider(api);
}

export const providerRoutes: RouteTable = [
  { method: 'GET', path: '/providers/proxies', handle: ({ res, api }) => sendJson(res, 200, { providers: { [BUILT_IN]: builtInProvider(api) } }) },
  { method: 'GET', path: '/providers/proxies/:name', handle: ({ res, params, api }) => sendJson(res, 200, requireProvider(api, params.name!)) },
  {
    method: 'PUT',
    path: '/providers/proxies/:name',
    // The built-in provider is the profile itself: there is nothing to fetch, as in mihomo.
    handle: ({ res, params, api }) => {
      requireProvider(api, params.name!);
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
