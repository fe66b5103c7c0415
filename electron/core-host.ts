import path from 'node:path';
import { generateSecret } from '../core/api/auth.js';
import { LogHub } from '../core/api/log-hub.js';
import { ConfigError } from '../core/adapter/errors.js';
import { loadProfileFile } from '../core/config/load.js';
import { Engine } from '../core/engine.js';
import { createLogger, type Logger } from '../core/logger.js';
import { createProtocolRegistry } from '../core/protocol/index.js';
import type { ProtocolRegistry } from '../core/protocol/registry.js';
import { mixedPortAsProxy, openRunData, type RunData } from '../core/run-data.js';
import type { FetchOptions } from '../core/subscription/fetch.js';
import type { CoreInfo, CoreToMain } from './core-messages.js';

export interface CoreHostOptions {
  profilePath: string;
  /** The app's data folder: SQLite store (subscriptions, probe history) and the provider cache. */
  dataDir?: string;
  /** The built UI the controller serves at /ui; default renderer/dist. */
  uiDir?: string;
}

export interface RunningCore {
  info: CoreInfo;
  stop(): Promise<void>;
}

/**
 * The store as `switchyard run --data-dir` opens it (core/run-data.ts). better-sqlite3 is native: a build
 * for another ABI (Node's, in an unpackaged Electron) does not load, and the core then runs without storing
 * anything rather than not at all.
 */
async function openStoredData(dataDir: string, registry: ProtocolRegistry, logger: Logger, localProxy: () => FetchOptions['socksProxy']): Promise<RunData | undefined> {
  try {
    return await openRunData(dataDir, registry, logger, localProxy);
  } catch (err) {
    logger.warn({ err: (err as Error).message }, 'the data store did not open: subscriptions, stored servers and probe history are off for this run');
    return undefined;
  }
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
  // Subscriptions fetched "via proxy" go through our own mixed port, once it listens.
  const localProxy = () => mixedPortAsProxy(engine, profile);
  const data = options.dataDir ? await openStoredData(options.dataDir, registry, logger, localProxy) : undefined;
  const engine: Engine = new Engine(
    // The profile's external-controller is for the headless core; the app's is private to it.
    { ...profile, externalController: { host: '127.0.0.1', port: 0 } },
    {
      logger,
      registry,
      dataDir: options.dataDir,
      profileDir: path.dirname(path.resolve(options.profilePath)),
      probe: data && { history: data.history },
      apps: data?.apps,
      stored: data?.stored,
      controller: { host: '127.0.0.1', port: 0, secret, logs, subscriptions: data?.subscriptions, ...(options.uiDir ? { uiDir: options.uiDir } : {}) },
    },
  );
  const { mixed, controller } = await engine.start().catch((err: unknown) => {
    data?.store.close();
    throw err;
  });
  data?.subscriptions.start();
  return {
    info: { port: controller!.port, secret, mixedHost: mixed.host, mixedPort: mixed.port, profile: options.profilePath },
    stop: async () => {
      data?.subscriptions.stop();
      await engine.stop();
      data?.store.close();
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
