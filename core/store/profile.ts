import type { Store } from './index.js';
import type { GroupConfig, Profile, ProviderConfig, RuleConfig } from '../config/types.js';
import { DEFAULT_MIXED_PORT } from '../config/types.js';
import type { ProtocolRegistry } from '../protocol/registry.js';
import { serverInputs } from '../subscription/refresh-servers.js';

/** The profile's top-level settings and unknown sections, as one settings row each. */
const SETTINGS_KEY = 'profile.settings';
const EXTRA_KEY = 'profile.extra';

type ProfileSettings = Pick<Profile, 'mixedPort' | 'bindAddress' | 'allowLan' | 'authentication' | 'mode' | 'logLevel' | 'externalController' | 'secret'>;

export interface ProfileImportReport {
  servers: number;
  pools: number;
  rules: number;
  /** http providers stored as subscriptions (new ones; a URL already stored is kept as it is). */
  subscriptionsAdded: number;
  /** What could not be carried over, said once each. */
  notes: string[];
}

/**
 * Puts a profile (plain data from the loader) into the store, in one transaction: proxies become manual
 * servers (stable ids, so a second import updates them in place and keeps the user's weight and enabled
 * flag), groups replace the stored pools, the profile's rules replace the stored profile rules (per-app rules
 * stay ahead of them), settings and unknown sections are kept for the export, http providers become
 * subscriptions.
 */
export function importProfileIntoStore(store: Store, profile: Profile, registry?: ProtocolRegistry): ProfileImportReport {
  const notes: string[] = [];
  // Profile proxies are Clash proxy entries, the same plain data a subscription's YAML holds.
  const proxies = profile.proxies as unknown as Parameters<typeof serverInputs>[1]['proxies'];
  const servers = serverInputs(null, { format: 'clash', proxies, unsupported: [], errors: [] }, registry);
  let subscriptionsAdded = 0;
  store.db.transaction(() => {
    store.servers.addManual(servers);
    // Importing a profile is an explicit act: the weights it states win over ones set earlier.
    for (const s of servers) {
      const weight = (s.config as { weight?: unknown }).weight;
      if (typeof weight === 'number') store.servers.setWeight(s.id, weight);
    }
    store.db.prepare('DELETE FROM pools').run();
    const addPool = store.db.prepare('INSERT INTO pools (name, config, position) VALUES (?, ?, ?)');
    profile.proxyGroups.forEach((g, i) => addPool.run(g.name, JSON.stringify(g), i));
    store.db.prepare("DELETE FROM rules WHERE origin = 'profile'").run();
    const addRule = store.db.prepare("INSERT INTO rules (position, origin, type, payload, target, options) VALUES (?, 'profile', ?, ?, ?, ?)");
    profile.rules.forEach((r, i) => addRule.run(i, r.type, r.payload, r.target, JSON.stringify(r.options)));
    const settings: ProfileSettings = {
      mixedPort: profile.mixedPort,
      bindAddress: profile.bindAddress,
      allowLan: profile.allowLan,
      authentication: profile.authentication,
      mode: profile.mode,
      logLevel: profile.logLevel,
      externalController: profile.externalController,
      secret: profile.secret,
    };
    store.settings.set(SETTINGS_KEY, settings);
    store.settings.set(EXTRA_KEY, profile.extra);
    for (const [name, provider] of Object.entries(profile.proxyProviders)) {
      if (provider.type !== 'http' || !provider.url) {
        notes.push(`proxy-provider ${name}: only http providers become subscriptions; a ${provider.type} provider stays in the profile file`);
        continue;
      }
      if (store.subscriptions.findByUrl(provider.url)) continue;
      store.subscriptions.add({ name, url: provider.url, intervalS: provider.interval ?? null });
      subscriptionsAdded++;
    }
  }).immediate();
  for (const s of servers) if (s.unsupportedReason) notes.push(`proxy ${s.name}: stored but not usable: ${s.unsupportedReason}`);
  return { servers: servers.length, pools: profile.proxyGroups.length, rules: profile.rules.length, subscriptionsAdded, notes };
}

/**
 * The profile the store describes, for `switchyard export` and the API: manual servers that are enabled and
 * usable as proxies, subscriptions as http proxy-providers, stored pools and rules (per-app rules first, as
 * they apply), and the settings and unknown sections an import kept.
 */
export function exportProfileFromStore(store: Store): Profile {
  const settings = store.settings.get<ProfileSettings>(SETTINGS_KEY);
  const proxies = store.servers
    .listForSubscription(null)
    .filter((s) => s.enabled && !s.unsupportedReason)
    .map((s) => {
      const config = { ...s.config, name: s.name, type: s.type } as Profile['proxies'][number];
      if (s.weight !== 1) config.weight = s.weight;
      else delete config.weight;
      return config;
    });
  const proxyProviders: Record<string, ProviderConfig> = {};
  for (const sub of store.subscriptions.list()) {
    proxyProviders[sub.name] = { type: 'http', url: sub.url, ...(sub.intervalS ? { interval: sub.intervalS } : {}) };
  }
  const proxyGroups = (store.db.prepare('SELECT config FROM pools ORDER BY position').all() as { config: string }[]).map((r) => JSON.parse(r.config) as GroupConfig);
  const rules = (
    store.db.prepare("SELECT type, payload, target, options FROM rules ORDER BY origin = 'profile', position").all() as { type: string; payload: string; target: string; options: string }[]
  ).map((r): RuleConfig => ({ type: r.type, payload: r.payload, target: r.target, options: JSON.parse(r.options) }));
  return {
    mixedPort: settings?.mixedPort ?? DEFAULT_MIXED_PORT,
    bindAddress: settings?.bindAddress,
    allowLan: settings?.allowLan ?? false,
    authentication: settings?.authentication ?? [],
    mode: settings?.mode ?? 'rule',
    logLevel: settings?.logLevel ?? 'info',
    externalController: settings?.externalController,
    secret: settings?.secret,
    proxies,
    proxyProviders,
    proxyGroups,
    rules,
    extra: store.settings.get<Record<string, unknown>>(EXTRA_KEY) ?? {},
  };
}
