/**
 * The controller's JSON shapes, taken from the core's own declarations (type-only: nothing of the core
 * is bundled), so a change to the API breaks the renderer's type check instead of the page.
 */
export type { LiveStat, LivePoolStat, LiveStatsFrame, LiveState } from '../../../../core/api/live-stats.js';
export type { ClashConnection, ClashConnections, ClashProxy } from '../../../../core/api/clash-shapes.js';
export type { PoolSnapshot, PoolMemberSnapshot } from '../../../../core/balance/pool.js';
export type { SpeedResult } from '../../../../core/adapter/prober.js';
export type { UiStrategies, UiPoolProbeSettings } from '../../../../core/api/routes/ui-support.js';
export type { SubscriptionView, RefreshResult } from '../../../../core/subscription/refresh.js';
export type { ServerListing } from '../../../../core/subscription/server-listing.js';

/** `GET /configs`, the keys the UI reads. */
export interface ClashConfigs {
  'mixed-port': number;
  'allow-lan': boolean;
  'bind-address': string;
  mode: 'rule' | 'global' | 'direct';
  'log-level': 'silent' | 'error' | 'warning' | 'info' | 'debug';
  authentication: string[];
}

/** One `/logs` frame. */
export interface LogFrame {
  type: string;
  payload: string;
}

/** `GET /providers/proxies/{name}` as mihomo answers, with the optional subscription usage. */
export interface ProxyProvider {
  name: string;
  vehicleType: string;
  /** A provider the core keeps in its store (a subscription, or servers added by hand), not the profile's. */
  stored?: boolean;
  proxies: { name: string; type: string }[];
  updatedAt?: string;
  subscriptionInfo?: { Upload?: number; Download?: number; Total?: number; Expire?: number };
}
