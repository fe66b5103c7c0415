import { createRequire } from 'node:module';
import { MODES, LOG_LEVELS, type LogLevel, type Mode } from '../../config/types.js';
import { ApiError, badField, noContent, readJsonObject, sendJson } from '../http.js';
import { CLASH_LOG_LEVELS, type ClashLogLevel } from '../log-hub.js';
import { periodic } from '../streams.js';
import type { ApiContext, RouteTable } from '../types.js';

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };

/** The `PATCH /configs` keys we act on; mihomo's others (tun, port, ipv6...) are refused by name. */
const PATCHABLE = ['mode', 'allow-lan', 'log-level'] as const;

/**
 * mihomo's `GET /configs` (config.General). Ports we do not open are 0 and features we lack are off;
 * `authentication` stays empty rather than echoing credentials to every dashboard.
 */
function configs(api: ApiContext): Record<string, unknown> {
  const { engine } = api;
  const p = engine.profile;
  return {
    port: 0,
    'socks-port': 0,
    'redir-port': 0,
    'tproxy-port': 0,
    'mixed-port': engine.inbound.address?.port ?? p.mixedPort,
    tun: { enable: false },
    'tuic-server': { enable: false },
    'ss-config': '',
    'vmess-config': '',
    authentication: [],
    'skip-auth-prefixes': [],
    'lan-allowed-ips': [],
    'lan-disallowed-ips': [],
    'allow-lan': p.allowLan,
    'bind-address': p.bindAddress ?? '*',
    'inbound-tfo': false,
    'inbound-mptcp': false,
    mode: engine.currentMode,
    'unified-delay': false,
    'log-level': api.settings.logLevel,
    ipv6: false,
    'interface-name': '',
    'routing-mark': 0,
    'geo-auto-update': false,
    'geo-update-interval': 0,
    'geodata-mode': false,
    'geodata-loader': '',
    'geosite-matcher': '',
    'tcp-concurrent': false,
    'find-process-mode': 'off',
    sniffing: false,
    'global-client-fingerprint': '',
    'global-ua': '',
    'etag-support': false,
    'keep-alive-idle': 0,
    'keep-alive-interval': 0,
    'disable-keep-alive': false,
  };
}

function parseMode(value: unknown): Mode {
  const lower = typeof value === 'string' ? value.toLowerCase() : undefined;
  if (!lower || !(MODES as readonly string[]).includes(lower)) throw badField('mode', `one of ${MODES.join(', ')}`, value);
  return lower as Mode;
}

function parseLogLevel(value: unknown): LogLevel {
  const lower = typeof value === 'string' ? value.toLowerCase() : undefined;
  if (!lower || !(LOG_LEVELS as readonly string[]).includes(lower)) throw badField('log-level', `one of ${LOG_LEVELS.join(', ')}`, value);
  return lower as LogLevel;
}

/** Checks every key before changing anything, so a bad body changes nothing. */
function patchConfigs(api: ApiContext, body: Record<string, unknown>): void {
  const unknown = Object.keys(body).filter((k) => !(PATCHABLE as readonly string[]).includes(k));
  if (unknown.length) {
    throw new ApiError(400, `${unknown.join(', ')}: not supported by Switchyard (PATCH /configs takes ${PATCHABLE.join(', ')})`);
  }
  const mode = 'mode' in body ? parseMode(body.mode) : undefined;
  const logLevel = 'log-level' in body ? parseLogLevel(body['log-level']) : undefined;
  if ('allow-lan' in body) {
    const allowLan = body['allow-lan'];
    if (typeof allowLan !== 'boolean') throw badField('allow-lan', 'true or false', allowLan);
    if (allowLan !== api.engine.profile.allowLan) {
      throw new ApiError(400, 'allow-lan: cannot change while running yet; set allow-lan in the profile and restart');
    }
  }
  if (mode) {
    api.engine.setMode(mode);
    api.logger.info({ mode }, 'mode changed by the controller');
  }
  if (logLevel) api.setLogLevel(logLevel);
}

function parseClashLogLevel(query: URLSearchParams): ClashLogLevel {
  const raw = query.get('level') || 'info';
  const level = raw.toLowerCase() as ClashLogLevel;
  if (!CLASH_LOG_LEVELS.includes(level)) throw badField('level', `one of ${CLASH_LOG_LEVELS.join(', ')}`, raw);
  return level;
}

/** Version, configs, rules, logs, traffic and memory: mihomo's top-level routes. */
export const clashCoreRoutes: RouteTable = [
  { method: 'GET', path: '/', handle: ({ res }) => sendJson(res, 200, { hello: 'switchyard' }) },
  // `meta: true` tells dashboards the mihomo extensions (/group delay, /memory) are there.
  { method: 'GET', path: '/version', handle: ({ res }) => sendJson(res, 200, { version: `switchyard v${version}`, meta: true }) },
  { method: 'GET', path: '/configs', handle: ({ res, api }) => sendJson(res, 200, configs(api)) },
  {
    method: 'PATCH',
    path: '/configs',
    handle: async ({ req, res, api }) => {
      patchConfigs(api, await readJsonObject(req));
      noContent(res);
    },
  },
  {
    method: 'GET',
    path: '/rules',
    handle: ({ res, api }) =>
      sendJson(res, 200, { rules: api.engine.rules.map((r) => ({ type: r.type, payload: r.payload, proxy: r.target, size: -1 })) }),
  },
  {
    method: 'GET',
    path: '/traffic',
    stream: ({ api }) => periodic(api.streamIntervalMs, () => ({ up: api.engine.stats.total.upRate, down: api.engine.stats.total.downRate })),
  },
  {
    method: 'GET',
    path: '/memory',
    stream: ({ api }) => periodic(api.streamIntervalMs, () => ({ inuse: process.memoryUsage().rss, oslimit: 0 })),
  },
  {
    method: 'GET',
    path: '/logs',
    stream: ({ query, api }) => {
      const level = parseClashLogLevel(query);
      const hub = api.logs;
      if (!hub) throw new ApiError(503, 'logs: this core was started without a log hub');
      return (send) => hub.subscribe(level, send);
    },
  },
];
