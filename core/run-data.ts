import type { Logger } from './logger.js';
import type { ProtocolRegistry } from './protocol/registry.js';
import type { Store } from './store/index.js';
import type { ProbeHistoryStore } from './probe/history.js';
import type { FetchOptions } from './subscription/fetch.js';
import type { SubscriptionService } from './subscription/refresh.js';
import type { AppPoliciesOptions } from './route/app-policies.js';
import type { Engine, EngineOptions } from './engine.js';
import type { Profile } from './config/types.js';

/** What a core keeps in its data directory, opened: the CLI's `run --data-dir` and the desktop app's core. */
export interface RunData {
  store: Store;
  history: ProbeHistoryStore;
  subscriptions: SubscriptionService;
  apps: AppPoliciesOptions;
  /** The stored subscriptions and servers for the engine to run (Engine `stored`). */
  stored: NonNullable<EngineOptions['stored']>;
}

/** Whether per-app tracking (a process lookup per connection) is on: the user's choice, kept in the store. */
const APP_TRACKING_SETTING = 'apps.tracking';

/**
 * Opens the SQLite store in `dataDir` (created when missing) and what runs on it: subscriptions (fetched
 * through `localProxy` when a subscription asks), probe history, per-app policies. Loaded on demand:
 * the store needs a native module, which a plain `run -c profile.yaml` does without.
 */
export async function openRunData(dataDir: string, registry: ProtocolRegistry, logger: Logger, localProxy: () => FetchOptions['socksProxy']): Promise<RunData> {
  const { openStore } = await import('./store/index.js');
  const { ProbeRepository } = await import('./store/probes.js');
  const { SubscriptionService } = await import('./subscription/refresh.js');
  const { AppRepository } = await import('./store/apps.js');
  const store = openStore(dataDir);
  const subscriptions = new SubscriptionService({ store, registry, logger, localProxy });
  return {
    store,
    history: new ProbeRepository(store.db),
    subscriptions,
    apps: {
      store: new AppRepository(store.db),
      track: store.settings.get<boolean>(APP_TRACKING_SETTING) === true,
      onTrackingChange: (on) => store.settings.set(APP_TRACKING_SETTING, on),
    },
    stored: { store, refreshSubscription: (id) => subscriptions.refresh(id) },
  };
}

/** The mixed port as a SOCKS5 proxy for our own downloads: loopback for a wildcard bind, the profile's first credential. */
export function mixedPortAsProxy(engine: Pick<Engine, 'inbound'>, profile: Pick<Profile, 'authentication'>): FetchOptions['socksProxy'] {
  const address = engine.inbound.address;
  if (!address) return undefined;
  const host = address.host === '0.0.0.0' ? '127.0.0.1' : address.host === '::' ? '::1' : address.host;
  const credential = profile.authentication[0];
  return { host, port: address.port, username: credential?.username, password: credential?.password };
}
