import { stringify } from 'yaml';
import { writeGroup } from './groups.js';
import { writeProviders } from './providers.js';
import { formatRule } from './rules.js';
import { writeSettings } from './settings.js';
import type { Mapping } from './shape.js';
import type { Profile } from './types.js';

/**
 * Writes a profile back as Clash YAML: settings first, then the kept unknown sections, then proxies,
 * providers, groups and rules. `loadProfile(stringifyProfile(p))` gives `p` back.
 */
export function stringifyProfile(profile: Profile): string {
  const out: Mapping = { ...writeSettings(profile), ...profile.extra };
  out.proxies = profile.proxies;
  if (Object.keys(profile.proxyProviders).length) out['proxy-providers'] = writeProviders(profile.proxyProviders);
  out['proxy-groups'] = profile.proxyGroups.map(writeGroup);
  out.rules = profile.rules.map(formatRule);
  // lineWidth 0: never fold long strings (rules, URLs) across lines.
  return stringify(out, { lineWidth: 0 });
}
