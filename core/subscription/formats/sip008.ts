import { createHash } from 'node:crypto';
import { describe } from '../../config/fields.js';
import type { ShadowsocksProxy, UnsupportedEntry } from '../types.js';
import { BadLinkError, UnsupportedFeature } from '../errors.js';
import { type Loose, obj, str } from '../links/loose.js';
import { pluginFromClash, pluginToClash } from '../links/ss-plugin.js';
import { defaultName } from '../links/url-parts.js';
import type { SubscriptionCollector } from './collector.js';

/** SIP008 online configuration: `{ version: 1, servers: [{ id, remarks, server, server_port, password, method, plugin, plugin_opts }] }`. */
export const looksLikeSip008 = (json: unknown): boolean => Array.isArray(obj(json)?.servers);

const METHOD = /^[a-z0-9][a-z0-9._+-]*$/i;

/** A problem with one field of one server; `field` is the SIP008 key. */
class EntryProblem extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function readSip008(json: Loose, into: SubscriptionCollector): void {
  (json.servers as unknown[]).forEach((server, i) => {
    try {
      const read = readServer(server);
      if ('unsupported' in read) into.addUnsupported(read);
      else into.addProxy(read);
    } catch (e) {
      if (!(e instanceof EntryProblem)) throw e;
      into.addIssue('BAD_ENTRY', `servers[${i}]${e.field ? `.${e.field}` : ''}`, e.message, { entry: i });
    }
  });
}

function readServer(value: unknown): ShadowsocksProxy | UnsupportedEntry {
  const s = obj(value);
  if (!s) throw new EntryProblem('', `expected an object, got ${describe(value)}`);
  const server = typeof s.server === 'string' ? s.server.trim().replace(/^\[(.*)\]$/, '$1') : '';
  if (server === '') throw new EntryProblem('server', `expected a host name or IP address, got ${describe(s.server)}`);
  const portText = typeof s.server_port === 'number' ? String(s.server_port) : typeof s.server_port === 'string' ? s.server_port.trim() : '';
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new EntryProblem('server_port', `expected an integer 1-65535, got ${describe(s.server_port)}`);
  const method = typeof s.method === 'string' ? s.method.trim().toLowerCase() : '';
  if (!METHOD.test(method)) throw new EntryProblem('method', `expected a method name such as aes-256-gcm, got ${describe(s.method)}`);
  if (typeof s.password !== 'string' || s.password === '') throw new EntryProblem('password', 'missing');
  const name = (typeof s.remarks === 'string' && s.remarks.trim()) || defaultName(server, port);
  const proxy: ShadowsocksProxy = { name, type: 'ss', server, port, cipher: method, password: s.password };
  const plugin = str(s.plugin);
  if (plugin === undefined) return proxy;
  try {
    return { ...proxy, ...pluginToClash('ss', plugin, str(s.plugin_opts) ?? '') };
  } catch (e) {
    if (e instanceof BadLinkError) throw new EntryProblem('plugin_opts', e.detail);
    if (e instanceof UnsupportedFeature) {
      return { unsupported: true, scheme: 'ss', proxy: s, name, reason: e.reason };
    }
    throw e;
  }
}

/** A stable id per server, so a re-export does not look like a new server to clients that track ids. */
function serverId(p: Loose): string {
  const h = createHash('sha256').update(`${str(p.server)}\0${str(p.port)}\0${str(p.name)}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function writeSip008(proxies: readonly Loose[]): string {
  const servers = proxies.map((p) => {
    const plugin = pluginFromClash(p);
    return {
      id: serverId(p),
      remarks: p.name,
      server: p.server,
      server_port: p.port,
      password: p.password,
      method: p.cipher,
      ...(plugin ? { plugin: plugin.plugin, plugin_opts: plugin.options } : {}),
    };
  });
  return `${JSON.stringify({ version: 1, servers }, null, 2)}\n`;
}
