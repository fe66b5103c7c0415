import type { StoredProviders } from '../subscription/stored-providers.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Outbound } from '../adapter/outbound.js';
import type { ProbeService } from '../adapter/prober.js';
import type { Pool } from '../balance/pool.js';
import type { LogLevel, Mode, Profile } from '../config/types.js';
import type { Logger } from '../logger.js';
import type { TrafficStats } from '../stats/traffic.js';
import type { ProxyProviders } from '../subscription/providers.js';
import type { SubscriptionService } from '../subscription/refresh.js';
import type { ConnectionTracker } from '../stats/tracker.js';
import type { LogHub } from './log-hub.js';
import type { Method } from './router.js';

/** What the controller reads and changes in the running core; `Engine` (core/engine.ts) satisfies it. */
export interface ControllerEngine {
  readonly profile: Profile;
  readonly stats: TrafficStats;
  readonly tracker: ConnectionTracker;
  /** Every outbound by name: DIRECT, REJECT, each proxy, each pool, GLOBAL. */
  readonly outbounds: ReadonlyMap<string, Outbound>;
  readonly pools: ReadonlyMap<string, Pool>;
  /** The rules in use, in match order. */
  readonly rules: readonly { readonly type: string; readonly payload: string; readonly target: string }[];
  readonly currentMode: Mode;
  setMode(mode: Mode): void;
  /** Latency and speed probes, once the engine runs them. */
  readonly probes?: ProbeService;
  readonly inbound: { readonly address?: { host: string; port: number } };
  /** The profile's proxy-providers (GET/PUT /providers/proxies); absent in engines without any. */
  readonly providers?: Pick<ProxyProviders, 'list' | 'get' | 'refresh'>;
  /** The stored subscriptions and servers running as providers; absent without a store. */
  readonly stored?: Pick<StoredProviders, 'sync' | 'outboundName'>;
}

/** What every route handler may use. */
export interface ApiContext {
  readonly engine: ControllerEngine;
  /** The probes, or a 503 saying they are not running. */
  requireProbes(): ProbeService;
  readonly probes: ProbeService | undefined;
  /** Undefined when nobody wired the core's logger to a hub: `/logs` then answers 503. */
  readonly logs: LogHub | undefined;
  readonly logger: Logger;
  /** Epoch ms the controller started (the `updatedAt` of the built-in provider). */
  readonly startedAt: number;
  /** Time between frames of the periodic streams; 1000 ms. */
  readonly streamIntervalMs: number;
  /** Settings the controller changes at run time (PATCH /configs). */
  readonly settings: { readonly logLevel: LogLevel };
  setLogLevel(level: LogLevel): void;
  /** Stored subscriptions (/switchyard/subscriptions), when the core has a data directory. */
  readonly subscriptions: SubscriptionService | undefined;
  /** The subscriptions, or a 503 saying there is no store. */
  requireSubscriptions(): SubscriptionService;
}

export interface RequestInfo {
  readonly req: IncomingMessage;
  /** Path parameters, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly api: ApiContext;
}

export interface RouteContext extends RequestInfo {
  readonly res: ServerResponse;
}

/** Starts sending frames through `send`; returns the function that stops it (timers, subscriptions). */
export type StreamSource = (send: (frame: unknown) => void) => () => void;

/**
 * One route. `handle` answers a plain request. `stream` serves a WebSocket upgrade, and a plain GET too
 * when there is no `handle` (newline-delimited JSON, as mihomo does for non-WebSocket clients); it checks
 * the query first and throws an ApiError before anything is upgraded.
 */
export interface RouteDef {
  readonly method: Method;
  readonly path: string;
  readonly handle?: (ctx: RouteContext) => unknown;
  readonly stream?: (ctx: RequestInfo) => StreamSource;
}

/** A module's routes; routes/index.ts lists the modules. */
export type RouteTable = readonly RouteDef[];
