/** Messages between main and the core process (Electron utilityProcess, or a Node child in tests). */

/** Where the running core listens; the secret stays in main and the window's preload. */
export interface CoreInfo {
  /** Controller port on 127.0.0.1. */
  port: number;
  secret: string;
  /** The mixed (SOCKS5 + HTTP) inbound the system proxy points at. */
  mixedHost: string;
  mixedPort: number;
  /** The profile the core loaded. */
  profile: string;
}

export type CoreToMain =
  | ({ type: 'ready' } & CoreInfo)
  /** The core could not start. `retryable: false` when a restart cannot help (a bad profile). */
  | { type: 'fatal'; message: string; retryable: boolean };

export type MainToCore = { type: 'stop' };

export function isCoreToMain(value: unknown): value is CoreToMain {
  const m = value as { type?: unknown } | null;
  return typeof m === 'object' && m !== null && (m.type === 'ready' || m.type === 'fatal');
}
