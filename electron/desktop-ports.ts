import type { LiveStatsFrame } from '../core/api/live-stats.js';
import type { PoolSnapshot } from '../core/balance/pool.js';
import type { Mode } from '../core/config/types.js';
import type { SubscriptionAdded, SubscriptionRequest } from './api-client.js';
import type { ControllerInfo, DesktopInvokeMap, DesktopState } from './contract.js';
import type { TrayIconState, TrayMenuItem } from './tray-menu.js';

/*
 * What DesktopApp (desktop-app.ts) needs from around it, as interfaces: the Electron side (main.ts
 * implements DesktopShell with Tray, Notification, clipboard, BrowserWindow and app; tests with a recorder)
 * and the controller (ControllerClient in the app).
 */

/** What the tray adapter draws. */
export interface TrayView {
  icon: TrayIconState;
  tooltip: string;
  menu: TrayMenuItem[];
}

/**
 * The Electron side, as small as it can be: main.ts implements it with Tray, Notification, clipboard,
 * BrowserWindow and app; tests implement it with a recorder.
 */
export interface DesktopShell {
  renderTray(view: TrayView): void;
  notify(title: string, body: string): void;
  showWindow(): void;
  readClipboard(): string;
  getAutostart(): Promise<boolean>;
  setAutostart(enabled: boolean): Promise<void>;
  /** The core (re)started: the window must use this address and secret from now on. */
  controllerChanged(info: ControllerInfo): void;
  stateChanged(state: DesktopState): void;
  /** Everything is cleaned up; end the process. */
  exit(): void;
}

/** The controller calls made here (ControllerClient in the app). */
export interface CoreApi {
  pools(): Promise<PoolSnapshot[]>;
  configs(): Promise<{ mode: Mode }>;
  setMode(mode: Mode): Promise<void>;
  selectMember(pool: string, member: string): Promise<void>;
  setStrategy(pool: string, strategy: string): Promise<void>;
  testPool(pool: string): Promise<Record<string, number>>;
  addSubscription(subscription: SubscriptionRequest): Promise<SubscriptionAdded>;
  streamStats(onFrame: (frame: LiveStatsFrame) => void, onClose: (why: string) => void): () => void;
}

/** Handlers for the preload's channels; errors thrown here cross as `{ error }`. */
export type DesktopHandlers = { [M in keyof DesktopInvokeMap]: (...args: DesktopInvokeMap[M]['args']) => Promise<DesktopInvokeMap[M]['result']> };
