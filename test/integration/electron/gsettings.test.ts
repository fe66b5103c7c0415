import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cidrBypassList } from '../../../electron/system-proxy/bypass.js';
import { GnomeProxy } from '../../../electron/system-proxy/gnome.js';
import { commandRunner } from '../../../electron/system-proxy/run-command.js';
import { SavedProxySettings } from '../../../electron/system-proxy/saved-settings.js';
import { SystemProxyService } from '../../../electron/system-proxy/system-proxy-service.js';

/*
 * The GNOME backend against Debian's real gsettings (libglib2.0-bin, gsettings-desktop-schemas), writing
 * to a keyfile in a temporary XDG_CONFIG_HOME instead of anyone's dconf database.
 */

let dir: string;
let env: NodeJS.ProcessEnv;

const gsettings = (...args: string[]) => execFileSync('gsettings', args, { env, encoding: 'utf8' }).trim();
const everything = () => gsettings('list-recursively', 'org.gnome.system.proxy');
const get = (schema: string, key: string) => gsettings('get', schema, key);

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-gsettings-'));
  env = { ...process.env, GSETTINGS_BACKEND: 'keyfile', XDG_CONFIG_HOME: dir, DBUS_SESSION_BUS_ADDRESS: 'disabled:' };
  // The user's own settings before Switchyard: a PAC-less manual corporate proxy with its own exceptions.
  gsettings('set', 'org.gnome.system.proxy', 'mode', 'auto');
  gsettings('set', 'org.gnome.system.proxy', 'autoconfig-url', 'http://wpad.corp/wpad.dat');
  gsettings('set', 'org.gnome.system.proxy', 'ignore-hosts', "['localhost', 'intranet.corp', '10.1.0.0/16']");
  gsettings('set', 'org.gnome.system.proxy.http', 'host', 'proxy.corp');
  gsettings('set', 'org.gnome.system.proxy.http', 'port', '3128');
  gsettings('set', 'org.gnome.system.proxy.socks', 'host', "'socks.corp'");
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function service(file = path.join(dir, 'Switchyard', 'system-proxy-saved.json')) {
  return new SystemProxyService(new GnomeProxy(commandRunner(env)), new SavedProxySettings(file), cidrBypassList());
}

describe('system proxy on GNOME through real gsettings', () => {
  it('sets the proxy, reads back as set, and restores the exact previous values', async () => {
    const before = everything();
    expect(before).toContain("org.gnome.system.proxy mode 'auto'");
    const sysproxy = service();
    await sysproxy.enable({ host: '127.0.0.1', port: 7890 });

    expect(get('org.gnome.system.proxy', 'mode')).toBe("'manual'");
    for (const scheme of ['http', 'https', 'socks']) {
      expect(get(`org.gnome.system.proxy.${scheme}`, 'host')).toBe("'127.0.0.1'");
      expect(get(`org.gnome.system.proxy.${scheme}`, 'port')).toBe('7890');
    }
    expect(get('org.gnome.system.proxy', 'ignore-hosts')).toBe(
      "['localhost', '*.local', '127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '::1', 'fc00::/7', 'fe80::/10']",
    );
    // What we did not touch stays as the user had it.
    expect(get('org.gnome.system.proxy', 'autoconfig-url')).toBe("'http://wpad.corp/wpad.dat'");

    await sysproxy.disable();
    expect(everything()).toBe(before);
  });

  it('a crashed run: the next start restores the exact previous values from the saved file', async () => {
    const before = everything();
    const file = path.join(dir, 'crashed', 'system-proxy-saved.json');
    await service(file).enable({ host: '127.0.0.1', port: 7891 });
    expect(get('org.gnome.system.proxy.http', 'port')).toBe('7891');
    // No disable(): the process is gone. The next one recovers:
    expect(await service(file).recover()).toBe(true);
    expect(everything()).toBe(before);
  });

  it('a failing gsettings is a SYSTEM_PROXY_COMMAND error naming the program', async () => {
    const broken = new SystemProxyService(new GnomeProxy(commandRunner(env), 'gsettings-missing-here'), new SavedProxySettings(path.join(dir, 'x.json')), []);
    await expect(broken.enable({ host: '127.0.0.1', port: 7890 })).rejects.toMatchObject({ code: 'SYSTEM_PROXY_COMMAND', message: expect.stringContaining('gsettings-missing-here get failed') });
  });
});
