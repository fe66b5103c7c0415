import net from 'node:net';
import { z } from 'zod';
import { bool, describe, oneOfIgnoringCase, port } from './fields.js';
import type { IssueCollector } from './issues.js';
import { DEFAULT_MIXED_PORT, LOG_LEVELS, MODES, type Credential, type HostPort, type Profile } from './types.js';

/** The top-level scalar settings; the lists (proxies, groups, rules...) are read by their own modules. */
export type Settings = Pick<
  Profile,
  'mixedPort' | 'bindAddress' | 'allowLan' | 'authentication' | 'mode' | 'logLevel' | 'externalController' | 'secret'
>;

export const SETTINGS_KEYS = [
  'mixed-port', 'bind-address', 'allow-lan', 'authentication', 'mode', 'log-level', 'external-controller', 'secret',
] as const;

/** Clash's separate listeners: we serve SOCKS5 and HTTP together on mixed-port only. */
export const SEPARATE_PORT_KEYS = ['port', 'socks-port', 'redir-port', 'tproxy-port'] as const;

const bindAddress = z
  .string({ error: (iss) => `expected an IP address or "*", got ${describe(iss.input)}` })
  .refine((s) => s === '*' || net.isIP(s) !== 0, { error: (iss) => `expected an IP address or "*", got ${describe(iss.input)}` });

/** `user:pass`; the password may itself contain colons. Never echoes the entry: it is a credential. */
const credential = z.unknown().transform((v, ctx): Credential => {
  const colon = typeof v === 'string' ? v.indexOf(':') : -1;
  if (typeof v !== 'string' || colon <= 0) {
    const found = typeof v !== 'string' ? `a ${Array.isArray(v) ? 'list' : typeof v}` : colon === 0 ? 'an empty user name' : 'no ":"';
    ctx.issues.push({ code: 'custom', input: v, message: `expected "user:pass", got ${found}` });
    return z.NEVER;
  }
  return { username: v.slice(0, colon), password: v.slice(colon + 1) };
});

const hostPort = z.string({ error: (iss) => `expected host:port like 127.0.0.1:9090, got ${describe(iss.input)}` }).transform((s, ctx) => {
  const parsed = parseHostPort(s);
  if (!parsed) {
    ctx.issues.push({ code: 'custom', input: s, message: `expected host:port like 127.0.0.1:9090, got ${describe(s)}` });
    return z.NEVER;
  }
  return parsed;
});

/** `127.0.0.1:9090`, `[::1]:9090`, `:9090` (every interface, as in Clash). */
export function parseHostPort(s: string): HostPort | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(s);
  if (!m) return undefined;
  const portNumber = Number(m[3]);
  if (portNumber < 1 || portNumber > 65535) return undefined;
  const host = m[1] ?? (m[2] || '0.0.0.0');
  if (m[1] !== undefined && net.isIPv6(host) === false) return undefined;
  return { host, port: portNumber };
}

export function formatHostPort({ host, port: p }: HostPort): string {
  return net.isIPv6(host) ? `[${host}]:${p}` : `${host}:${p}`;
}

const settingsSchema = z.object({
  'mixed-port': port().default(DEFAULT_MIXED_PORT),
  'bind-address': bindAddress.optional(),
  'allow-lan': bool().default(false),
  authentication: z.array(credential, { error: (iss) => `expected a list of "user:pass" entries, got ${describe(iss.input)}` }).default([]),
  mode: oneOfIgnoringCase(MODES).default('rule'),
  'log-level': oneOfIgnoringCase(LOG_LEVELS).default('info'),
  'external-controller': hostPort.optional(),
  // Clash reads a bare number as text too (`secret: 123456`).
  secret: z.union([z.string(), z.number().transform(String)], { error: () => 'expected a string' }).optional(),
});

/** Reads the settings from the top-level mapping (nulls already dropped); undefined when any is invalid. */
export function readSettings(top: Record<string, unknown>, issues: IssueCollector): Settings | undefined {
  const input = Object.fromEntries(SETTINGS_KEYS.filter((k) => k in top).map((k) => [k, top[k]]));
  const parsed = settingsSchema.safeParse(input);
  if (!parsed.success) {
    issues.zod([], parsed.error);
    return undefined;
  }
  const s = parsed.data;
  const settings: Settings = {
    mixedPort: s['mixed-port'],
    allowLan: s['allow-lan'],
    authentication: s.authentication,
    mode: s.mode,
    logLevel: s['log-level'],
  };
  if (s['bind-address'] !== undefined) settings.bindAddress = s['bind-address'];
  if (s['external-controller'] !== undefined) settings.externalController = s['external-controller'];
  if (s.secret !== undefined) settings.secret = s.secret;

  for (const key of SEPARATE_PORT_KEYS) {
    if (key in top) {
      issues.warn(
        `ignored "${key}": Switchyard serves SOCKS5 and HTTP together on mixed-port (${settings.mixedPort}); set mixed-port to choose the port`,
      );
    }
  }
  if (!settings.allowLan && settings.bindAddress !== undefined && settings.bindAddress !== '*' && !isLoopback(settings.bindAddress)) {
    issues.warn(`bind-address ${settings.bindAddress} has no effect while allow-lan is false; listening on 127.0.0.1`);
  }
  return settings;
}

const isLoopback = (ip: string) => ip === '::1' || ip.startsWith('127.');

/**
 * Where the mixed listener binds, with mihomo's semantics: allow-lan false keeps it on loopback; allow-lan
 * true binds every interface unless bind-address names one.
 */
export function listenAddress(profile: Pick<Profile, 'allowLan' | 'bindAddress'>): string {
  const bind = profile.bindAddress;
  if (!profile.allowLan) return bind !== undefined && isLoopback(bind) ? bind : '127.0.0.1';
  return bind === undefined || bind === '*' ? '0.0.0.0' : bind;
}

/** Clash-key form of the settings, for stringify. */
export function writeSettings(p: Settings): Record<string, unknown> {
  const out: Record<string, unknown> = { 'mixed-port': p.mixedPort };
  if (p.bindAddress !== undefined) out['bind-address'] = p.bindAddress;
  out['allow-lan'] = p.allowLan;
  if (p.authentication.length) out.authentication = p.authentication.map((c) => `${c.username}:${c.password}`);
  out.mode = p.mode;
  out['log-level'] = p.logLevel;
  if (p.externalController) out['external-controller'] = formatHostPort(p.externalController);
  if (p.secret !== undefined) out.secret = p.secret;
  return out;
}
