import type { CommandRunner, ProxyEndpoint, SystemProxyBackend } from './types.js';

/** Key → value as kreadconfig printed it; '' means absent (KIO reads empty and absent alike). */
export type KdeSaved = Record<string, string>;

const FILE = 'kioslaverc';
const GROUP = 'Proxy Settings';
/** ProxyType last: 1 = manual; the hosts are in place before KIO is told to use them. */
export const KDE_KEYS = ['httpProxy', 'httpsProxy', 'socksProxy', 'NoProxyFor', 'ReversedException', 'ProxyType'] as const;

export interface KdeTools {
  kreadconfig: string;
  kwriteconfig: string;
}

/** Plasma 6 ships kwriteconfig6/kreadconfig6; Plasma 5 the 5s. */
export function kdeTools(env: NodeJS.ProcessEnv): KdeTools {
  const v = env.KDE_SESSION_VERSION === '6' ? '6' : '5';
  return { kreadconfig: `kreadconfig${v}`, kwriteconfig: `kwriteconfig${v}` };
}

const at = (key: string) => ['--file', FILE, '--group', GROUP, '--key', key];

/** The `kwriteconfig` argv lists for the endpoint; KIO writes proxies as `scheme://host port`. */
export function kdeApplyCommands(endpoint: ProxyEndpoint, bypass: readonly string[]): string[][] {
  const hostPort = `${endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host} ${endpoint.port}`;
  const values: Record<(typeof KDE_KEYS)[number], string> = {
    httpProxy: `http://${hostPort}`,
    httpsProxy: `http://${hostPort}`,
    socksProxy: `socks://${hostPort}`,
    NoProxyFor: bypass.join(','),
    ReversedException: 'false',
    ProxyType: '1',
  };
  return KDE_KEYS.map((key) => [...at(key), values[key]]);
}

export function kdeRestoreCommands(saved: KdeSaved): string[][] {
  return KDE_KEYS.filter((key) => key in saved).map((key) => (saved[key] === '' ? [...at(key), '--delete'] : [...at(key), saved[key]!]));
}

/** Tells running KIO workers to read kioslaverc again (as the Plasma settings module does). */
export const KDE_RELOAD_COMMAND = ['dbus-send', '--type=signal', '/KIO/Scheduler', 'org.kde.KIO.Scheduler.reparseSlaveConfiguration', "string:''"];

/** KDE Plasma through kioslaverc. */
export class KdeProxy implements SystemProxyBackend<KdeSaved> {
  readonly name = 'kde';

  constructor(
    private readonly run: CommandRunner,
    private readonly tools: KdeTools,
  ) {}

  async read(): Promise<KdeSaved> {
    const saved: KdeSaved = {};
    for (const key of KDE_KEYS) saved[key] = (await this.run(this.tools.kreadconfig, at(key))).replace(/\r?\n$/, '');
    return saved;
  }

  async apply(endpoint: ProxyEndpoint, bypass: readonly string[]): Promise<void> {
    for (const argv of kdeApplyCommands(endpoint, bypass)) await this.run(this.tools.kwriteconfig, argv);
    await this.reload();
  }

  async restore(saved: KdeSaved): Promise<void> {
    for (const argv of kdeRestoreCommands(saved)) await this.run(this.tools.kwriteconfig, argv);
    await this.reload();
  }

  private async reload(): Promise<void> {
    const [file, ...args] = KDE_RELOAD_COMMAND;
    // Without a session bus the file is still right; new KIO workers read it.
    await this.run(file!, args).catch(() => undefined);
  }
}
