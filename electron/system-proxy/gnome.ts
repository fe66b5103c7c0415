import type { CommandRunner, ProxyEndpoint, SystemProxyBackend } from './types.js';

/** `schema key` → the value as `gsettings get` printed it (GVariant text, which `gsettings set` reads back). */
export type GnomeSaved = Record<string, string>;

const BASE = 'org.gnome.system.proxy';
const SCHEMES = ['http', 'https', 'socks'] as const;

/** Every key apply() changes; `mode` last, so nothing sees it switched on before the hosts are set. */
export const GNOME_KEYS: readonly (readonly [schema: string, key: string])[] = [
  ...SCHEMES.flatMap((s) => [[`${BASE}.${s}`, 'host'] as const, [`${BASE}.${s}`, 'port'] as const]),
  [BASE, 'ignore-hosts'],
  [BASE, 'mode'],
];

/** GVariant text for a string: single-quoted, with `\` and `'` escaped. */
export function gvariantString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function gvariantStringArray(values: readonly string[]): string {
  return `[${values.map(gvariantString).join(', ')}]`;
}

/** The `gsettings set` argv lists that point GNOME (and Cinnamon, MATE, Budgie…) at the endpoint. */
export function gnomeApplyCommands(endpoint: ProxyEndpoint, bypass: readonly string[]): string[][] {
  return [
    ...SCHEMES.flatMap((s) => [
      ['set', `${BASE}.${s}`, 'host', gvariantString(endpoint.host)],
      ['set', `${BASE}.${s}`, 'port', String(endpoint.port)],
    ]),
    ['set', BASE, 'ignore-hosts', gvariantStringArray(bypass)],
    ['set', BASE, 'mode', gvariantString('manual')],
  ];
}

export function gnomeRestoreCommands(saved: GnomeSaved): string[][] {
  return GNOME_KEYS.filter(([schema, key]) => `${schema} ${key}` in saved).map(([schema, key]) => ['set', schema, key, saved[`${schema} ${key}`]!]);
}

/** GNOME-family desktops through `gsettings` (org.gnome.system.proxy). */
export class GnomeProxy implements SystemProxyBackend<GnomeSaved> {
  readonly name = 'gnome';

  constructor(
    private readonly run: CommandRunner,
    private readonly gsettings = 'gsettings',
  ) {}

  async read(): Promise<GnomeSaved> {
    const saved: GnomeSaved = {};
    for (const [schema, key] of GNOME_KEYS) {
      saved[`${schema} ${key}`] = (await this.run(this.gsettings, ['get', schema, key])).trim();
    }
    return saved;
  }

  async apply(endpoint: ProxyEndpoint, bypass: readonly string[]): Promise<void> {
    for (const argv of gnomeApplyCommands(endpoint, bypass)) await this.run(this.gsettings, argv);
  }

  async restore(saved: GnomeSaved): Promise<void> {
    for (const argv of gnomeRestoreCommands(saved)) await this.run(this.gsettings, argv);
  }
}
