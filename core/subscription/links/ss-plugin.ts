import { describe } from '../../config/fields.js';
import type { ObfsPluginOpts, V2rayPluginOpts } from '../types.js';
import { BadLinkError, SubscriptionError, UnsupportedFeature } from '../errors.js';
import { type Loose, obj, str } from './loose.js';

/**
 * Shadowsocks SIP003 plugins as SIP002 links and SIP008 bodies spell them (`obfs-local;obfs=http;obfs-host=x`)
 * and as Clash holds them (`plugin: obfs`, `plugin-opts: {mode, host}`).
 */
export type ClashPlugin =
  | { plugin: 'obfs'; 'plugin-opts': ObfsPluginOpts }
  | { plugin: 'v2ray-plugin'; 'plugin-opts': V2rayPluginOpts };

type Options = Map<string, string | undefined>;

/** SIP003 options: `;`-separated `key=value` or bare `key`, with `\` escaping `;`, `=` and `\`. */
export function parsePluginOptions(text: string): Options {
  const options: Options = new Map();
  let key = '';
  let value: string | undefined;
  const flush = () => {
    if (key !== '' && !options.has(key)) options.set(key, value);
    key = '';
    value = undefined;
  };
  for (let i = 0; i < text.length; i++) {
    let c = text[i]!;
    if (c === '\\' && i + 1 < text.length) c = text[++i]!;
    else if (c === ';') {
      flush();
      continue;
    } else if (c === '=' && value === undefined) {
      value = '';
      continue;
    }
    if (value === undefined) key += c;
    else value += c;
  }
  flush();
  return options;
}

const escapeOption = (s: string) => s.replace(/[\\;=]/g, (c) => `\\${c}`);

/** `plugin` is the plugin's name, `text` its options string (SIP008 keeps them apart, SIP002 joins them with `;`). */
export function pluginToClash(scheme: string, plugin: string, text: string): ClashPlugin {
  const options = parsePluginOptions(text);
  const fail = (detail: string) => new BadLinkError(scheme, `plugin ${plugin}: ${detail}`);
  switch (plugin) {
    case 'obfs-local':
    case 'simple-obfs':
    case 'obfs': {
      const mode = options.get('obfs');
      if (mode === undefined) throw fail('missing "obfs=http" or "obfs=tls"');
      if (mode !== 'http' && mode !== 'tls') throw fail(`obfs: expected http or tls, got ${describe(mode)}`);
      const host = options.get('obfs-host');
      return { plugin: 'obfs', 'plugin-opts': host ? { mode, host } : { mode } };
    }
    case 'v2ray-plugin': {
      const mode = options.get('mode') ?? 'websocket';
      if (mode === 'quic') throw new UnsupportedFeature('v2ray-plugin in quic mode is not supported');
      if (mode !== 'websocket') throw fail(`mode: expected websocket or quic, got ${describe(mode)}`);
      const opts: V2rayPluginOpts = { mode };
      if (options.get('host')) opts.host = options.get('host');
      if (options.get('path')) opts.path = options.get('path');
      if (options.has('tls')) opts.tls = true;
      const mux = options.get('mux');
      if (mux !== undefined) {
        if (!/^\d+$/.test(mux)) throw fail(`mux: expected a number of connections, got ${describe(mux)}`);
        opts.mux = Number(mux) > 0;
      }
      return { plugin: 'v2ray-plugin', 'plugin-opts': opts };
    }
    default:
      throw new UnsupportedFeature(`shadowsocks plugin ${JSON.stringify(plugin)} is not supported`);
  }
}

/** Splits SIP002's `plugin=name;options` into the name and the options. */
export function splitPluginSpec(spec: string): { plugin: string; options: string } {
  const semi = spec.indexOf(';');
  return semi < 0 ? { plugin: spec, options: '' } : { plugin: spec.slice(0, semi), options: spec.slice(semi + 1) };
}

/** The SIP003 name and options for a Clash ss entry, or undefined when it has no plugin. */
export function pluginFromClash(p: Loose): { plugin: string; options: string } | undefined {
  const plugin = str(p.plugin);
  if (plugin === undefined) return undefined;
  const o = obj(p['plugin-opts']) ?? {};
  const parts: string[] = [];
  const add = (key: string, value: unknown) => {
    const s = str(value);
    if (s !== undefined) parts.push(`${key}=${escapeOption(s)}`);
  };
  switch (plugin) {
    case 'obfs':
      add('obfs', o.mode ?? 'http');
      add('obfs-host', o.host);
      return { plugin: 'obfs-local', options: parts.join(';') };
    case 'v2ray-plugin':
      add('mode', o.mode ?? 'websocket');
      if (o.tls === true) parts.push('tls');
      add('host', o.host);
      add('path', o.path);
      if (typeof o.mux === 'boolean') add('mux', o.mux ? '1' : '0');
      return { plugin: 'v2ray-plugin', options: parts.join(';') };
    default:
      throw new SubscriptionError('UNEXPORTABLE_PROXY', `${str(p.name) ?? 'proxy'}: shadowsocks plugin ${JSON.stringify(plugin)} has no share-link form`);
  }
}
