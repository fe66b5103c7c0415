import type { CommandRunner, ProxyEndpoint, SystemProxyBackend } from './types.js';

export const INTERNET_SETTINGS_KEY = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings';

/** The values apply() touches; a PAC script (AutoConfigURL) would win over the manual proxy, so it goes too. */
export const WINDOWS_VALUES = ['ProxyServer', 'ProxyOverride', 'AutoConfigURL', 'ProxyEnable'] as const;
type ValueName = (typeof WINDOWS_VALUES)[number];

export interface RegValue {
  type: string;
  data: string;
}

/** Each value as it was, or null where it did not exist (restore deletes it then). */
export interface WindowsSaved {
  values: Record<ValueName, RegValue | null>;
}

/** `reg query <key>` lines: `    Name    REG_TYPE    data`. */
export function parseRegQuery(output: string): Map<string, RegValue> {
  const values = new Map<string, RegValue>();
  for (const line of output.split(/\r?\n/)) {
    const m = /^\s+(\S+)\s+(REG_[A-Z_]+)(?:\s+(.*))?$/.exec(line);
    if (m) values.set(m[1]!, { type: m[2]!, data: (m[3] ?? '').trimEnd() });
  }
  return values;
}

const regAdd = (name: string, type: string, data: string) => ['add', INTERNET_SETTINGS_KEY, '/v', name, '/t', type, '/d', data, '/f'];
const regDelete = (name: string) => ['delete', INTERNET_SETTINGS_KEY, '/v', name, '/f'];

/** `reg` argv lists that point WinINet (and so most apps) at the endpoint; ProxyEnable last. */
export function windowsApplyCommands(endpoint: ProxyEndpoint, bypass: readonly string[]): string[][] {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return [regAdd('ProxyServer', 'REG_SZ', `${host}:${endpoint.port}`), regAdd('ProxyOverride', 'REG_SZ', bypass.join(';')), regDelete('AutoConfigURL'), regAdd('ProxyEnable', 'REG_DWORD', '1')];
}

/** `reg` prints a DWORD as 0x…; `reg add` is given it in decimal. */
function regData(value: RegValue): string {
  return value.type === 'REG_DWORD' && /^0x[0-9a-f]+$/i.test(value.data) ? String(parseInt(value.data, 16)) : value.data;
}

export function windowsRestoreCommands(saved: WindowsSaved): string[][] {
  return WINDOWS_VALUES.map((name) => {
    const value = saved.values[name];
    return value ? regAdd(name, value.type, regData(value)) : regDelete(name);
  });
}

/**
 * Running programs read Internet Settings once; InternetSetOption(SETTINGS_CHANGED = 39, then
 * REFRESH = 37) tells them to read it again. PowerShell is the one thing on every Windows that can call it.
 */
export const WINDOWS_REFRESH_COMMAND = [
  'powershell.exe',
  '-NoProfile',
  '-NonInteractive',
  '-ExecutionPolicy',
  'Bypass',
  '-Command',
  [
    `$t = Add-Type -Name WinInet -Namespace Switchyard -PassThru -MemberDefinition '[DllImport("wininet.dll", SetLastError = true)] public static extern bool InternetSetOption(IntPtr h, int option, IntPtr buffer, int length);'`,
    '$null = $t::InternetSetOption([IntPtr]::Zero, 39, [IntPtr]::Zero, 0)',
    '$null = $t::InternetSetOption([IntPtr]::Zero, 37, [IntPtr]::Zero, 0)',
  ].join('; '),
];

/** Windows: the per-user Internet Settings registry values, then the refresh. */
export class WindowsProxy implements SystemProxyBackend<WindowsSaved> {
  readonly name = 'windows';

  constructor(private readonly run: CommandRunner) {}

  async read(): Promise<WindowsSaved> {
    const present = parseRegQuery(await this.run('reg', ['query', INTERNET_SETTINGS_KEY]));
    const values = Object.fromEntries(WINDOWS_VALUES.map((name) => [name, present.get(name) ?? null])) as WindowsSaved['values'];
    return { values };
  }

  async apply(endpoint: ProxyEndpoint, bypass: readonly string[]): Promise<void> {
    await this.runAll(windowsApplyCommands(endpoint, bypass));
    await this.refresh();
  }

  async restore(saved: WindowsSaved): Promise<void> {
    await this.runAll(windowsRestoreCommands(saved));
    await this.refresh();
  }

  private async runAll(commands: string[][]): Promise<void> {
    for (const argv of commands) {
      // Deleting a value that is not there fails; that is the state we wanted anyway.
      if (argv[0] === 'delete') await this.run('reg', argv).catch(() => undefined);
      else await this.run('reg', argv);
    }
  }

  private async refresh(): Promise<void> {
    const [file, ...args] = WINDOWS_REFRESH_COMMAND;
    await this.run(file!, args);
  }
}
