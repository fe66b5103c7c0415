import type { CommandRunner, ProxyEndpoint, SystemProxyBackend } from './types.js';

export interface MacProxyState {
  enabled: boolean;
  server: string;
  port: number;
}

export interface MacServiceSaved {
  web: MacProxyState;
  secure: MacProxyState;
  socks: MacProxyState;
  bypass: string[];
}

export interface MacSaved {
  services: Record<string, MacServiceSaved>;
}

const NETWORKSETUP = 'networksetup';

/** networksetup's verbs per proxy kind. */
const KINDS = {
  web: { get: '-getwebproxy', set: '-setwebproxy', state: '-setwebproxystate' },
  secure: { get: '-getsecurewebproxy', set: '-setsecurewebproxy', state: '-setsecurewebproxystate' },
  socks: { get: '-getsocksfirewallproxy', set: '-setsocksfirewallproxy', state: '-setsocksfirewallproxystate' },
} as const;
type Kind = keyof typeof KINDS;
const KIND_NAMES = Object.keys(KINDS) as Kind[];

/** `-listallnetworkservices`: a header line, then one service per line, `*` before disabled ones. */
export function parseNetworkServices(output: string): string[] {
  return output
    .split(/\r?\n/)
    .slice(1)
    .map((line) => line.replace(/^\*/, '').trim())
    .filter(Boolean);
}

/** `-getwebproxy` and its siblings: `Enabled: Yes`, `Server: host`, `Port: 8080`, … */
export function parseProxyState(output: string): MacProxyState {
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(output)?.[1]?.trim() ?? '';
  return { enabled: field('Enabled') === 'Yes', server: field('Server'), port: Number(field('Port')) || 0 };
}

/** `-getproxybypassdomains`: one domain per line, or a sentence when there are none. */
export function parseBypassDomains(output: string): string[] {
  if (/There aren't any bypass domains/i.test(output)) return [];
  return output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

export function macApplyCommands(services: readonly string[], endpoint: ProxyEndpoint, bypass: readonly string[]): string[][] {
  return services.flatMap((service) => [
    ...KIND_NAMES.flatMap((kind) => [
      [KINDS[kind].set, service, endpoint.host, String(endpoint.port)],
      [KINDS[kind].state, service, 'on'],
    ]),
    ['-setproxybypassdomains', service, ...(bypass.length ? bypass : ['Empty'])],
  ]);
}

/**
 * Puts each service's proxies back: its old server and port where it had one, then the old on/off state;
 * `Empty` clears the bypass list. (A proxy that needed a password comes back without it: networksetup
 * cannot read the password, so it cannot be saved.)
 */
export function macRestoreCommands(saved: MacSaved): string[][] {
  return Object.entries(saved.services).flatMap(([service, s]) => [
    ...KIND_NAMES.flatMap((kind) => {
      const state = s[kind];
      const server = state.server ? [[KINDS[kind].set, service, state.server, String(state.port)]] : [];
      return [...server, [KINDS[kind].state, service, state.enabled ? 'on' : 'off']];
    }),
    ['-setproxybypassdomains', service, ...(s.bypass.length ? s.bypass : ['Empty'])],
  ]);
}

/** macOS: `networksetup`, for every network service (Wi-Fi, Ethernet, VPNs…). */
export class MacProxy implements SystemProxyBackend<MacSaved> {
  readonly name = 'macos';

  constructor(private readonly run: CommandRunner) {}

  async read(): Promise<MacSaved> {
    const services: Record<string, MacServiceSaved> = {};
    for (const service of await this.services()) {
      const state = async (kind: Kind) => parseProxyState(await this.run(NETWORKSETUP, [KINDS[kind].get, service]));
      services[service] = {
        web: await state('web'),
        secure: await state('secure'),
        socks: await state('socks'),
        bypass: parseBypassDomains(await this.run(NETWORKSETUP, ['-getproxybypassdomains', service])),
      };
    }
    return { services };
  }

  async apply(endpoint: ProxyEndpoint, bypass: readonly string[]): Promise<void> {
    for (const argv of macApplyCommands(await this.services(), endpoint, bypass)) await this.run(NETWORKSETUP, argv);
  }

  async restore(saved: MacSaved): Promise<void> {
    for (const argv of macRestoreCommands(saved)) await this.run(NETWORKSETUP, argv);
  }

  private async services(): Promise<string[]> {
    return parseNetworkServices(await this.run(NETWORKSETUP, ['-listallnetworkservices']));
  }
}
