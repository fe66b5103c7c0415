import { describe, expect, it } from 'vitest';
import { cidrBypassList, macosBypassList, windowsBypassList } from '../../../../electron/system-proxy/bypass.js';
import { gnomeApplyCommands, gnomeRestoreCommands, gvariantString, gvariantStringArray } from '../../../../electron/system-proxy/gnome.js';
import { KdeProxy, kdeApplyCommands, kdeRestoreCommands, kdeTools } from '../../../../electron/system-proxy/kde.js';
import { MacProxy, macApplyCommands, macRestoreCommands, parseBypassDomains, parseNetworkServices, parseProxyState } from '../../../../electron/system-proxy/macos.js';
import { platformProxy } from '../../../../electron/system-proxy/index.js';
import { INTERNET_SETTINGS_KEY, WINDOWS_REFRESH_COMMAND, WindowsProxy, parseRegQuery, windowsApplyCommands, windowsRestoreCommands } from '../../../../electron/system-proxy/windows.js';

const ENDPOINT = { host: '127.0.0.1', port: 7890 };

/** A command runner that answers from a script and records every argv. */
function scripted(answers: Record<string, string>) {
  const calls: string[][] = [];
  const run = async (file: string, args: readonly string[]) => {
    calls.push([file, ...args]);
    const key = [file, ...args].join(' ');
    const hit = Object.keys(answers).find((k) => key === k || key.startsWith(`${k} `));
    return hit === undefined ? '' : answers[hit]!;
  };
  return { calls, run };
}

describe('bypass lists', () => {
  it('cover loopback, link-local and the private ranges in each desktop spelling', () => {
    expect(cidrBypassList()).toEqual(['localhost', '*.local', '127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '::1', 'fc00::/7', 'fe80::/10']);
    expect(macosBypassList()).toEqual(['localhost', '*.local', '127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16']);
    const win = windowsBypassList();
    expect(win.slice(0, 3)).toEqual(['localhost', '127.*', '10.*']);
    expect(win.filter((w) => w.startsWith('172.'))).toEqual(Array.from({ length: 16 }, (_, i) => `172.${16 + i}.*`));
    expect(win.at(-1)).toBe('<local>');
  });
});

describe('GNOME (gsettings)', () => {
  it('quotes GVariant strings so any host survives', () => {
    expect(gvariantString("it's")).toBe("'it\\'s'");
    expect(gvariantString('a\\b')).toBe("'a\\\\b'");
    expect(gvariantStringArray(['localhost', '10.0.0.0/8'])).toBe("['localhost', '10.0.0.0/8']");
  });

  it('sets hosts and ports for http, https and socks, then the bypass list, then mode manual', () => {
    expect(gnomeApplyCommands(ENDPOINT, ['localhost'])).toEqual([
      ['set', 'org.gnome.system.proxy.http', 'host', "'127.0.0.1'"],
      ['set', 'org.gnome.system.proxy.http', 'port', '7890'],
      ['set', 'org.gnome.system.proxy.https', 'host', "'127.0.0.1'"],
      ['set', 'org.gnome.system.proxy.https', 'port', '7890'],
      ['set', 'org.gnome.system.proxy.socks', 'host', "'127.0.0.1'"],
      ['set', 'org.gnome.system.proxy.socks', 'port', '7890'],
      ['set', 'org.gnome.system.proxy', 'ignore-hosts', "['localhost']"],
      ['set', 'org.gnome.system.proxy', 'mode', "'manual'"],
    ]);
  });

  it('restores the saved GVariant text as it was read', () => {
    expect(gnomeRestoreCommands({ 'org.gnome.system.proxy mode': "'auto'", 'org.gnome.system.proxy.http port': '3128' })).toEqual([
      ['set', 'org.gnome.system.proxy.http', 'port', '3128'],
      ['set', 'org.gnome.system.proxy', 'mode', "'auto'"],
    ]);
  });
});

describe('KDE (kioslaverc)', () => {
  it('uses the tools of the running Plasma', () => {
    expect(kdeTools({ KDE_SESSION_VERSION: '6' })).toEqual({ kreadconfig: 'kreadconfig6', kwriteconfig: 'kwriteconfig6' });
    expect(kdeTools({})).toEqual({ kreadconfig: 'kreadconfig5', kwriteconfig: 'kwriteconfig5' });
  });

  it('writes KIO proxy entries as "scheme://host port", ProxyType 1 last', () => {
    const at = (key: string) => ['--file', 'kioslaverc', '--group', 'Proxy Settings', '--key', key];
    expect(kdeApplyCommands(ENDPOINT, ['localhost', '10.0.0.0/8'])).toEqual([
      [...at('httpProxy'), 'http://127.0.0.1 7890'],
      [...at('httpsProxy'), 'http://127.0.0.1 7890'],
      [...at('socksProxy'), 'socks://127.0.0.1 7890'],
      [...at('NoProxyFor'), 'localhost,10.0.0.0/8'],
      [...at('ReversedException'), 'false'],
      [...at('ProxyType'), '1'],
    ]);
    expect(kdeApplyCommands({ host: '::1', port: 1 }, [])[0]!.at(-1)).toBe('http://[::1] 1');
  });

  it('deletes keys that were absent and writes back the others; reloads KIO after', async () => {
    const { calls, run } = scripted({ 'kreadconfig6 --file kioslaverc --group Proxy Settings --key ProxyType': '0\n' });
    const kde = new KdeProxy(run, kdeTools({ KDE_SESSION_VERSION: '6' }));
    const saved = await kde.read();
    expect(saved).toEqual({ httpProxy: '', httpsProxy: '', socksProxy: '', NoProxyFor: '', ReversedException: '', ProxyType: '0' });
    calls.length = 0;
    await kde.restore(saved);
    expect(calls[0]).toEqual(['kwriteconfig6', '--file', 'kioslaverc', '--group', 'Proxy Settings', '--key', 'httpProxy', '--delete']);
    expect(calls[5]).toEqual(['kwriteconfig6', '--file', 'kioslaverc', '--group', 'Proxy Settings', '--key', 'ProxyType', '0']);
    expect(calls[6]).toEqual(['dbus-send', '--type=signal', '/KIO/Scheduler', 'org.kde.KIO.Scheduler.reparseSlaveConfiguration', "string:''"]);
    expect(kdeRestoreCommands({ ProxyType: '2' })).toEqual([['--file', 'kioslaverc', '--group', 'Proxy Settings', '--key', 'ProxyType', '2']]);
  });
});

describe('macOS (networksetup)', () => {
  const LIST = 'An asterisk (*) denotes that a network service is disabled.\nWi-Fi\n*Thunderbolt Bridge\nUSB 10/100/1000 LAN\n';

  it('parses the services (disabled ones too), proxy states and bypass lists', () => {
    expect(parseNetworkServices(LIST)).toEqual(['Wi-Fi', 'Thunderbolt Bridge', 'USB 10/100/1000 LAN']);
    expect(parseProxyState('Enabled: Yes\nServer: proxy.corp\nPort: 3128\nAuthenticated Proxy Enabled: 0\n')).toEqual({ enabled: true, server: 'proxy.corp', port: 3128 });
    expect(parseProxyState('Enabled: No\nServer: \nPort: 0\nAuthenticated Proxy Enabled: 0\n')).toEqual({ enabled: false, server: '', port: 0 });
    expect(parseBypassDomains("There aren't any bypass domains set on Wi-Fi.\n")).toEqual([]);
    expect(parseBypassDomains('*.local\n169.254/16\n')).toEqual(['*.local', '169.254/16']);
  });

  it('sets web, secure web and SOCKS proxies and the bypass list on every service', () => {
    expect(macApplyCommands(['Wi-Fi'], ENDPOINT, ['localhost', '*.local'])).toEqual([
      ['-setwebproxy', 'Wi-Fi', '127.0.0.1', '7890'],
      ['-setwebproxystate', 'Wi-Fi', 'on'],
      ['-setsecurewebproxy', 'Wi-Fi', '127.0.0.1', '7890'],
      ['-setsecurewebproxystate', 'Wi-Fi', 'on'],
      ['-setsocksfirewallproxy', 'Wi-Fi', '127.0.0.1', '7890'],
      ['-setsocksfirewallproxystate', 'Wi-Fi', 'on'],
      ['-setproxybypassdomains', 'Wi-Fi', 'localhost', '*.local'],
    ]);
  });

  it('restores each service: old server where there was one, old on/off, Empty for no bypass domains', () => {
    const off = { enabled: false, server: '', port: 0 };
    expect(macRestoreCommands({ services: { 'Wi-Fi': { web: { enabled: true, server: 'proxy.corp', port: 3128 }, secure: off, socks: off, bypass: [] } } })).toEqual([
      ['-setwebproxy', 'Wi-Fi', 'proxy.corp', '3128'],
      ['-setwebproxystate', 'Wi-Fi', 'on'],
      ['-setsecurewebproxystate', 'Wi-Fi', 'off'],
      ['-setsocksfirewallproxystate', 'Wi-Fi', 'off'],
      ['-setproxybypassdomains', 'Wi-Fi', 'Empty'],
    ]);
  });

  it('reads every service through networksetup', async () => {
    const { calls, run } = scripted({
      'networksetup -listallnetworkservices': LIST,
      'networksetup -getwebproxy Wi-Fi': 'Enabled: Yes\nServer: proxy.corp\nPort: 3128\n',
      'networksetup -getproxybypassdomains': '*.local\n',
    });
    const saved = await new MacProxy(run).read();
    expect(Object.keys(saved.services)).toEqual(['Wi-Fi', 'Thunderbolt Bridge', 'USB 10/100/1000 LAN']);
    expect(saved.services['Wi-Fi']).toEqual({ web: { enabled: true, server: 'proxy.corp', port: 3128 }, secure: { enabled: false, server: '', port: 0 }, socks: { enabled: false, server: '', port: 0 }, bypass: ['*.local'] });
    expect(calls.every((c) => c[0] === 'networksetup')).toBe(true);
  });
});

describe('Windows (Internet Settings registry)', () => {
  const QUERY = [
    '',
    'HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings',
    '    DisableCachingOfSSLPages    REG_DWORD    0x0',
    '    ProxyEnable    REG_DWORD    0x1',
    '    ProxyServer    REG_SZ    proxy.corp:3128',
    '    ProxyOverride    REG_SZ    <local>;*.corp',
    '',
  ].join('\r\n');

  it('parses reg query output', () => {
    const values = parseRegQuery(QUERY);
    expect(values.get('ProxyEnable')).toEqual({ type: 'REG_DWORD', data: '0x1' });
    expect(values.get('ProxyOverride')).toEqual({ type: 'REG_SZ', data: '<local>;*.corp' });
    expect(values.has('AutoConfigURL')).toBe(false);
  });

  it('sets server and override, removes a PAC URL, enables last', () => {
    expect(windowsApplyCommands(ENDPOINT, ['localhost', '<local>'])).toEqual([
      ['add', INTERNET_SETTINGS_KEY, '/v', 'ProxyServer', '/t', 'REG_SZ', '/d', '127.0.0.1:7890', '/f'],
      ['add', INTERNET_SETTINGS_KEY, '/v', 'ProxyOverride', '/t', 'REG_SZ', '/d', 'localhost;<local>', '/f'],
      ['delete', INTERNET_SETTINGS_KEY, '/v', 'AutoConfigURL', '/f'],
      ['add', INTERNET_SETTINGS_KEY, '/v', 'ProxyEnable', '/t', 'REG_DWORD', '/d', '1', '/f'],
    ]);
  });

  it('restores values that existed (DWORDs in decimal) and deletes those that did not', () => {
    expect(
      windowsRestoreCommands({
        values: { ProxyServer: { type: 'REG_SZ', data: 'proxy.corp:3128' }, ProxyOverride: null, AutoConfigURL: { type: 'REG_SZ', data: 'http://wpad/wpad.dat' }, ProxyEnable: { type: 'REG_DWORD', data: '0x0' } },
      }),
    ).toEqual([
      ['add', INTERNET_SETTINGS_KEY, '/v', 'ProxyServer', '/t', 'REG_SZ', '/d', 'proxy.corp:3128', '/f'],
      ['delete', INTERNET_SETTINGS_KEY, '/v', 'ProxyOverride', '/f'],
      ['add', INTERNET_SETTINGS_KEY, '/v', 'AutoConfigURL', '/t', 'REG_SZ', '/d', 'http://wpad/wpad.dat', '/f'],
      ['add', INTERNET_SETTINGS_KEY, '/v', 'ProxyEnable', '/t', 'REG_DWORD', '/d', '0', '/f'],
    ]);
  });

  it('tells running programs with InternetSetOption 39 then 37 after each change', async () => {
    const { calls, run } = scripted({ 'reg query': QUERY });
    const win = new WindowsProxy(run);
    const saved = await win.read();
    expect(saved.values).toEqual({ ProxyServer: { type: 'REG_SZ', data: 'proxy.corp:3128' }, ProxyOverride: { type: 'REG_SZ', data: '<local>;*.corp' }, AutoConfigURL: null, ProxyEnable: { type: 'REG_DWORD', data: '0x1' } });
    await win.apply(ENDPOINT, ['<local>']);
    expect(calls.at(-1)).toEqual(WINDOWS_REFRESH_COMMAND);
    const script = WINDOWS_REFRESH_COMMAND.at(-1)!;
    expect(script.indexOf('InternetSetOption([IntPtr]::Zero, 39')).toBeLessThan(script.indexOf('InternetSetOption([IntPtr]::Zero, 37'));
    expect(WINDOWS_REFRESH_COMMAND.slice(0, 2)).toEqual(['powershell.exe', '-NoProfile']);
  });
});

describe('platformProxy', () => {
  it('picks networksetup, the registry, kioslaverc under Plasma and gsettings elsewhere', () => {
    expect(platformProxy('darwin', {})?.backend.name).toBe('macos');
    expect(platformProxy('win32', {})?.backend.name).toBe('windows');
    expect(platformProxy('linux', { XDG_CURRENT_DESKTOP: 'KDE' })?.backend.name).toBe('kde');
    expect(platformProxy('linux', { XDG_CURRENT_DESKTOP: 'ubuntu:GNOME' })?.backend.name).toBe('gnome');
    expect(platformProxy('linux', {})?.backend.name).toBe('gnome');
    expect(platformProxy('aix', {})).toBeUndefined();
  });
});
