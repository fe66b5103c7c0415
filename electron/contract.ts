/**
 * The one contract between the window and the main process: the desktop-only actions the preload exposes
 * as `window.switchyardDesktop` (use them through `desktopApi()`). Everything else the UI does goes to the
 * controller API, with the address and secret from `getController()`.
 *
 *   renderer → window.switchyardDesktop.setSystemProxy(true) → preload → ipc `desktop:setSystemProxy`
 *            → main handler → { result } | { error } → desktopApi() throws the error again in the page
 *
 * No imports: the renderer can import this file as is. Main and the preload are both checked against
 * `DesktopInvokeMap`, so a method added here and missing on either side fails the type-check.
 */

/** Where the controller is and the secret for it; never put in a URL the window loads. */
export interface ControllerInfo {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Bearer secret (also accepted as `?token=` on WebSocket upgrades). */
  token: string;
}

export interface SystemProxyStatus {
  enabled: boolean;
  /** Which mechanism sets it here: gnome, kde, macos, windows; null where none is known. */
  backend: string | null;
  /** The address the system proxy points at while enabled. */
  endpoint: { host: string; port: number } | null;
}

export interface ImportResult {
  /** The subscription URL that was imported. */
  url: string;
  /** The name it is stored under. */
  name: string;
  /** Servers from its first download. */
  servers?: number;
  /** Why that first download failed (the subscription is stored all the same). */
  error?: string;
}

/** Desktop state pushed to the window when the tray or a restart changes it. */
export interface DesktopState {
  systemProxy: SystemProxyStatus;
  autostart: boolean;
  core: CoreStatus;
}

export type CoreStatus = 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';

/** Request/response of each invoke channel (`desktop:<method>`). */
export interface DesktopInvokeMap {
  getController: { args: []; result: ControllerInfo };
  getState: { args: []; result: DesktopState };
  setSystemProxy: { args: [enabled: boolean]; result: SystemProxyStatus };
  setAutostart: { args: [enabled: boolean]; result: boolean };
  importFromClipboard: { args: []; result: ImportResult };
  quit: { args: []; result: null };
}

export type DesktopMethod = keyof DesktopInvokeMap;

/** Events main pushes (`desktop-event:<name>`). */
export interface DesktopEventMap {
  /** The core restarted on another port with another secret. */
  controller: ControllerInfo;
  state: DesktopState;
}

export type DesktopEvent = keyof DesktopEventMap;

/** A handler's outcome as it crosses the bridge: errors are data, thrown again on the renderer side. */
export type Outcome<T> = { result: T } | { error: { code: string; message: string } };

export type Unsubscribe = () => void;

/** The global name in the window. */
export const DESKTOP_GLOBAL = 'switchyardDesktop';

/** The preload (plain CommonJS, see preload.cjs) spells these prefixes too; a unit test keeps them equal. */
export const invokeChannel = (method: DesktopMethod): string => `desktop:${method}`;
export const eventChannel = (event: DesktopEvent): string => `desktop-event:${event}`;

/** Every method, so main can register one handler each and the preload can expose one function each. */
export const DESKTOP_METHODS = Object.keys({
  getController: true,
  getState: true,
  setSystemProxy: true,
  setAutostart: true,
  importFromClipboard: true,
  quit: true,
} satisfies Record<DesktopMethod, true>) as DesktopMethod[];

export const DESKTOP_EVENTS = Object.keys({ controller: true, state: true } satisfies Record<DesktopEvent, true>) as DesktopEvent[];

export type DesktopEventListener<E extends DesktopEvent> = (payload: DesktopEventMap[E]) => void;

/**
 * What the preload exposes as `window.switchyardDesktop`: every call answers an Outcome, because an Error
 * thrown across the context bridge loses its `code`. Use it through `desktopApi()`.
 */
export type DesktopBridge = {
  [M in DesktopMethod]: (...args: DesktopInvokeMap[M]['args']) => Promise<Outcome<DesktopInvokeMap[M]['result']>>;
} & {
  /** Calls `listener` on each event; the returned function stops it. */
  on<E extends DesktopEvent>(event: E, listener: DesktopEventListener<E>): Unsubscribe;
};

/** The renderer's view: plain promises that reject with a DesktopActionError carrying the code. */
export type DesktopApi = {
  [M in DesktopMethod]: (...args: DesktopInvokeMap[M]['args']) => Promise<DesktopInvokeMap[M]['result']>;
} & {
  on<E extends DesktopEvent>(event: E, listener: DesktopEventListener<E>): Unsubscribe;
};

/** A desktop action failed in main; `code` is one of electron/errors.ts's DesktopErrorCode values. */
export class DesktopActionError extends Error {
  override readonly name = 'DesktopActionError';
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export function unwrapOutcome<T>(outcome: Outcome<T>): T {
  if ('error' in outcome) throw new DesktopActionError(outcome.error.code, outcome.error.message);
  return outcome.result;
}

/**
 * The desktop actions for the renderer, or undefined in a plain browser (the UI served to a browser at
 * /ui has no desktop side).
 */
export function desktopApi(bridge: DesktopBridge | undefined = (globalThis as Record<string, unknown>)[DESKTOP_GLOBAL] as DesktopBridge | undefined): DesktopApi | undefined {
  if (!bridge) return undefined;
  const api = Object.fromEntries(
    DESKTOP_METHODS.map((method) => [method, async (...args: unknown[]) => unwrapOutcome(await (bridge[method] as (...a: unknown[]) => Promise<Outcome<unknown>>)(...args))]),
  ) as Omit<DesktopApi, 'on'>;
  return { ...api, on: (event, listener) => bridge.on(event, listener) };
}
