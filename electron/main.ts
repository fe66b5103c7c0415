import { app, clipboard, Notification, session } from 'electron';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControllerClient } from './api-client.js';
import { AUTOSTART_ARG, LinuxAutostart } from './autostart.js';
import { isTrustedSender } from './bridge-dispatch.js';
import { eventChannel } from './contract.js';
import { DEEP_LINK_SCHEMES, findDeepLink } from './deep-link.js';
import { DesktopApp } from './desktop-app.js';
import type { DesktopShell } from './desktop-ports.js';
import { registerDesktopIpc } from './ipc.js';
import { resolveProfile, userDataDir } from './launch.js';
import { platformProxy, SavedProxySettings, SystemProxyService } from './system-proxy/index.js';
import { AppTray } from './tray.js';
import { spawnUtilityCore } from './utility-core.js';
import { AppWindows } from './windows.js';

/*
 * The main process, wiring only: DesktopApp (desktop-app.ts) decides, the adapters here draw and call
 * Electron. Order matters: the single-instance lock and the deep-link handlers come before `ready`.
 */

// The package root, from the sources and from dist/electron/main.mjs alike: scripts/build-electron.mjs
// keeps import.meta.url this file's own URL in the bundle.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESOURCES = path.join(ROOT, 'resources');
const ENTRY = path.join(ROOT, 'electron', 'entry.mjs');

app.setName('Switchyard');
// The same folder launch.ts computes for `npm start`, so both find the user's profile.yaml.
app.setPath('userData', userDataDir(process.platform, process.env, os.homedir()));

if (!app.requestSingleInstanceLock()) {
  // The first instance gets our argv (and any deep link in it) through `second-instance`.
  app.exit(0);
} else {
  start();
}

function start(): void {
  const startHidden = process.argv.includes(AUTOSTART_ARG);
  const pendingLinks: string[] = [];
  let desktop: DesktopApp | undefined;
  const openLink = (link: string) => (desktop ? void desktop.openDeepLink(link) : pendingLinks.push(link));

  app.on('open-url', (event, url) => {
    event.preventDefault(); // macOS hands deep links over here
    openLink(url);
  });
  const first = findDeepLink(process.argv);
  if (first) pendingLinks.push(first);
  registerProtocols();

  app.whenReady().then(async () => {
    // The windows only talk to the core on loopback: never through the system proxy we may have set to it.
    await session.defaultSession.setProxy({ mode: 'direct' });
    const windows = new AppWindows({ preload: path.join(ROOT, 'electron', 'preload.cjs'), icon: path.join(RESOURCES, 'icon.png') });
    const linuxAutostart = new LinuxAutostart(process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'));
    const platform = platformProxy(process.platform, process.env);
    const systemProxy = new SystemProxyService(
      platform?.backend,
      new SavedProxySettings(path.join(app.getPath('userData'), 'system-proxy-saved.json')),
      platform?.bypass ?? [],
    );
    let tray: AppTray | undefined;
    let exiting = false;

    const shell: DesktopShell = {
      renderTray: (view) => tray?.render(view),
      notify: (title, body) => {
        if (Notification.isSupported()) new Notification({ title, body, icon: path.join(RESOURCES, 'icon.png') }).show();
      },
      showWindow: () => windows.showMain(),
      readClipboard: () => clipboard.readText(),
      getAutostart: async () => (process.platform === 'linux' ? linuxAutostart.enabled() : app.getLoginItemSettings().openAtLogin),
      setAutostart: async (enabled) => {
        if (process.platform === 'linux') return linuxAutostart.set(enabled, launchArgv());
        app.setLoginItemSettings({ openAtLogin: enabled, args: [AUTOSTART_ARG] });
      },
      controllerChanged: (info) => {
        windows.setController(info);
        windows.send(eventChannel('controller'), info);
      },
      stateChanged: (state) => windows.send(eventChannel('state'), state),
      exit: () => {
        exiting = true;
        tray?.destroy();
        app.exit(0);
      },
    };

    const profile = resolveProfile(process.env, app.getPath('userData'), existsSync);
    const desktopApp = new DesktopApp({
      shell,
      spawnCore: () => spawnUtilityCore(path.join(ROOT, 'electron', 'core-entry.mjs'), ['--profile', profile, '--data-dir', app.getPath('userData')]),
      systemProxy,
      api: (access) => new ControllerClient(access),
    });
    desktop = desktopApp;
    tray = new AppTray(path.join(RESOURCES, 'tray'), (action) => void desktopApp.onTrayAction(action), (bounds) => windows.togglePopover(bounds));
    // Reachable from the main process's debugger and from the Playwright smoke test's app.evaluate().
    Object.assign(globalThis, { switchyardShell: { desktop: desktopApp, tray, windows } });
    registerDesktopIpc(desktopApp.handlers(), (frameUrl) => isTrustedSender(frameUrl, windows.controllerUrl));

    app.on('second-instance', (_event, argv) => {
      const link = findDeepLink(argv);
      if (link) void desktopApp.openDeepLink(link);
      else windows.showMain();
    });
    app.on('activate', () => windows.showMain());
    // The tray keeps the app alive with every window closed (hidden).
    app.on('window-all-closed', () => {});
    app.on('before-quit', (event) => {
      if (exiting) return;
      event.preventDefault(); // system proxy and core first; shell.exit() ends the process
      windows.quitting = true;
      void desktopApp.quit();
    });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void desktopApp.quit());

    void desktopApp.start().then(() => {
      for (const link of pendingLinks.splice(0)) void desktopApp.openDeepLink(link);
    });
    if (!startHidden) windows.showMain();
  });
}

/** switchyard:// always; clash:// only while no Clash client has claimed it. */
function registerProtocols(): void {
  // In development the app is `electron entry.mjs`: the OS must be told the script as well.
  const devArgs = process.defaultApp ? [ENTRY] : [];
  for (const scheme of DEEP_LINK_SCHEMES) {
    if (scheme !== 'switchyard' && app.getApplicationNameForProtocol(`${scheme}://`) && !app.isDefaultProtocolClient(scheme, process.execPath, devArgs)) continue;
    app.setAsDefaultProtocolClient(scheme, process.execPath, devArgs);
  }
}

/** How to start this app again at login: the AppImage when it is one, else this executable (and script). */
function launchArgv(): string[] {
  if (process.env.APPIMAGE) return [process.env.APPIMAGE];
  return process.defaultApp ? [process.execPath, ENTRY] : [process.execPath];
}
