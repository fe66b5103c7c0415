import { generateSecret } from '../core/api/auth.js';
import { LogHub } from '../core/api/index.js';
import { ConfigError } from '../core/adapter/errors.js';
import { loadProfileFile } from '../core/config/load.js';
import { Engine } from '../core/engine.js';
import { createLogger } from '../core/logger.js';
import { createProtocolRegistry } from '../core/protocol/index.js';
import type { CoreInfo, CoreToMain } from './core-messages.js';

export interface CoreHostOptions {
  profilePath: string;
  /** The built UI the controller serves at /ui; default renderer/dist. */
  uiDir?: string;
}

export interface RunningCore {
  info: CoreInfo;
  stop(): Promise<void>;
}

/**
 * The core as the desktop app runs it: the profile's proxies, pools and mixed port, with the controller
 * always on, on 127.0.0.1, on a free port, with a secret made for this run. Only main (and through the
 * preload, the window) learns the secret.
 */
export async function startCoreHost(options: CoreHostOptions): Promise<RunningCore> {
  const registry = createProtocolRegistry();
  const { profile, warnings } = await loadProfileFile(options.profilePath, registry);
  const logs = new LogHub();
  const logger = createLogger(profile.logLevel, logs.destination());
  for (const w of warnings) logger.warn(w);
  const secret = generateSecret();
  const engine = new Engine(
    // The profile's external-controller is for the headless core; the app's is private to it.
    { ...profile, externalController: { host: '127.0.0.1', port: 0 } },
    { logger, registry, controller: { host: '127.0.0.1', port: 0, secret, logs, ...(options.uiDir ? { uiDir: options.uiDir } : {}) } },
  );
  const { mixed, controller } = await engine.start();
  return {
    info: { port: controller!.port, secret, mixedHost: mixed.host, mixedPort: mixed.port, profile: options.profilePath },
    stop: async () => {
      await engine.stop();
      logger.flush();
    },
  };
}

/** The `fatal` message for a start failure: a bad profile will fail again, anything else may not. */
export function fatalMessage(err: unknown): Extract<CoreToMain, { type: 'fatal' }> {
  if (err instanceof ConfigError) {
    return { type: 'fatal', retryable: false, message: `profile error: ${err.issues.map((i) => `${i.path ? `${i.path}: ` : ''}${i.message}`).join('; ')}` };
  }
  const e = err as NodeJS.ErrnoException;
  // A taken mixed port stays taken for a while; a restart with backoff may find it free.
  return { type: 'fatal', retryable: true, message: e?.code === 'EADDRINUSE' ? `port in use: ${e.message}` : (e?.message ?? String(err)) };
}
