import { z } from 'zod';
import { bool, httpUrl, int, nonEmptyString, oneOf } from './fields.js';
import type { IssueCollector, Path } from './issues.js';
import { compact, dropNulls, isMapping, kindMessage, splitKnown, type Mapping } from './shape.js';
import type { ProviderConfig, ProviderHealthCheck } from './types.js';

/** Validated loosely: the subscription module uses them later; keys we do not model are kept as they are. */
const healthCheckSchema = z.object({
  enable: bool().optional(),
  url: httpUrl().optional(),
  interval: int(0, 604800).optional(),
  timeout: int(1, 600000).optional(),
  lazy: bool().optional(),
});

const providerSchema = z
  .object({
    type: oneOf(['http', 'file']),
    url: httpUrl().optional(),
    path: nonEmptyString('a file path').optional(),
    interval: int(0, 31536000).optional(),
    'health-check': z.unknown().optional(),
  })
  .superRefine((p, ctx) => {
    if (p.type === 'http' && p.url === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: 'expected an http(s) URL for an http provider, got nothing' });
    if (p.type === 'file' && p.path === undefined) ctx.addIssue({ code: 'custom', path: ['path'], message: 'expected a file path for a file provider, got nothing' });
  });

const PROVIDER_KEYS = ['type', 'url', 'path', 'interval', 'health-check'];
const HEALTH_CHECK_KEYS = ['enable', 'url', 'interval', 'timeout', 'lazy'];

export function readProviders(section: Mapping, issues: IssueCollector): Record<string, ProviderConfig> {
  const providers: Record<string, ProviderConfig> = {};
  for (const [name, entry] of Object.entries(section)) {
    const path: Path = ['proxy-providers', name];
    if (!isMapping(entry)) {
      issues.error(path, kindMessage('a mapping with type and url or path', entry));
      continue;
    }
    const { known, unknown } = splitKnown(dropNulls(entry), PROVIDER_KEYS);
    const parsed = providerSchema.safeParse(known);
    if (!parsed.success) {
      issues.zod(path, parsed.error);
      continue;
    }
    const p = parsed.data;
    const provider: ProviderConfig = compact({ type: p.type, url: p.url, path: p.path, interval: p.interval });
    if (p['health-check'] !== undefined) {
      const hc = readHealthCheck(p['health-check'], [...path, 'health-check'], issues);
      if (!hc) continue;
      provider.healthCheck = hc;
    }
    if (Object.keys(unknown).length) provider.extra = unknown;
    providers[name] = provider;
  }
  return providers;
}

function readHealthCheck(value: unknown, path: Path, issues: IssueCollector): ProviderHealthCheck | undefined {
  if (!isMapping(value)) {
    issues.error(path, kindMessage('a mapping with enable, url and interval', value));
    return undefined;
  }
  const { known, unknown } = splitKnown(dropNulls(value), HEALTH_CHECK_KEYS);
  const parsed = healthCheckSchema.safeParse(known);
  if (!parsed.success) {
    issues.zod(path, parsed.error);
    return undefined;
  }
  const hc: ProviderHealthCheck = compact({ ...parsed.data });
  if (Object.keys(unknown).length) hc.extra = unknown;
  return hc;
}

export function writeProviders(providers: Record<string, ProviderConfig>): Record<string, Mapping> {
  const out: Record<string, Mapping> = {};
  for (const [name, p] of Object.entries(providers)) {
    const entry: Mapping = compact({ type: p.type, url: p.url, path: p.path, interval: p.interval });
    if (p.healthCheck) {
      const { extra, ...hc } = p.healthCheck;
      entry['health-check'] = { ...compact(hc), ...extra };
    }
    out[name] = { ...entry, ...p.extra };
  }
  return out;
}
