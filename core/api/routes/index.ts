import type { RouteTable } from '../types.js';
import { appRoutes } from './apps.js';
import { clashCoreRoutes } from './clash-core.js';
import { connectionRoutes } from './connections.js';
import { providerRoutes } from './providers.js';
import { proxyRoutes } from './proxies.js';
import { serverRoutes } from './servers.js';
import { subscriptionRoutes } from './subscriptions.js';
import { switchyardRoutes } from './switchyard.js';
import { uiSupportRoutes } from './ui-support.js';

/**
 * Every route module, one per area. Subscriptions CRUD, profile import/export, settings and per-app
 * toggles come with the store and subscription work: each as its own `routes/<area>.ts` exporting a
 * RouteTable under `/switchyard/<area>`, added to this list.
 */
export const routeTables: readonly RouteTable[] = [clashCoreRoutes, proxyRoutes, connectionRoutes, providerRoutes, switchyardRoutes, uiSupportRoutes, subscriptionRoutes, serverRoutes, appRoutes];
