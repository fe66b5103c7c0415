import { cidrBypassList, macosBypassList, windowsBypassList } from './bypass.js';
import { GnomeProxy } from './gnome.js';
import { KdeProxy, kdeTools } from './kde.js';
import { MacProxy } from './macos.js';
import { runCommand } from './run-command.js';
import type { CommandRunner, SystemProxyBackend } from './types.js';
import { WindowsProxy } from './windows.js';

export { SavedProxySettings } from './saved-settings.js';
export { SystemProxyService } from './system-proxy-service.js';
export type { ProxyEndpoint, SystemProxyBackend } from './types.js';

export interface PlatformProxy {
  backend: SystemProxyBackend;
  bypass: string[];
}

/**
 * This desktop's backend: networksetup on macOS, the registry on Windows, kioslaverc under KDE Plasma,
 * and gsettings on the other Linux desktops (GNOME, Cinnamon, MATE, Budgie, Unity share its schema).
 */
export function platformProxy(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, run: CommandRunner = runCommand): PlatformProxy | undefined {
  switch (platform) {
    case 'darwin':
      return { backend: new MacProxy(run), bypass: macosBypassList() };
    case 'win32':
      return { backend: new WindowsProxy(run), bypass: windowsBypassList() };
    case 'linux':
    case 'freebsd':
    case 'openbsd': {
      const desktops = (env.XDG_CURRENT_DESKTOP ?? '').toUpperCase().split(':');
      if (desktops.includes('KDE')) return { backend: new KdeProxy(run, kdeTools(env)), bypass: cidrBypassList() };
      return { backend: new GnomeProxy(run), bypass: cidrBypassList() };
    }
    default:
      return undefined;
  }
}
