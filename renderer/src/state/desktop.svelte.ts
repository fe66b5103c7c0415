import { desktopApi, type DesktopApi, type DesktopState } from '../../../electron/contract.js';
import { runAction } from './actions.svelte.js';
import { session } from './session.svelte.js';

/**
 * The desktop side, when the page runs in the Electron shell (`window.switchyardDesktop`, see
 * electron/contract.ts): the controller's address and secret come from it instead of the URL, and the
 * tray's switch is the system proxy. In a plain browser `api` is undefined and none of this shows.
 */
const api: DesktopApi | undefined = desktopApi();

export const desktop = $state({
  available: api !== undefined,
  state: null as DesktopState | null,
  error: '',
});

/** Asks the shell for the controller before the first API call; a no-op in a browser. */
export async function initDesktop(): Promise<void> {
  if (!api) return;
  try {
    const controller = await api.getController();
    session.apiBase = controller.url;
    session.token = controller.token;
    api.on('controller', (info) => {
      session.apiBase = info.url;
      session.token = info.token;
      session.unauthorized = false;
    });
    desktop.state = await api.getState();
    api.on('state', (state) => (desktop.state = state));
  } catch (err) {
    desktop.error = (err as Error).message;
  }
}

export function setSystemProxy(enabled: boolean): Promise<void | undefined> {
  return runAction('desktop:system-proxy', async () => {
    const status = await api!.setSystemProxy(enabled);
    if (desktop.state) desktop.state.systemProxy = status;
  });
}

export function setAutostart(enabled: boolean): Promise<void | undefined> {
  return runAction('desktop:autostart', async () => {
    const on = await api!.setAutostart(enabled);
    if (desktop.state) desktop.state.autostart = on;
  });
}

/** Reads a subscription URL from the clipboard and adds it; resolves with what was imported. */
export function importFromClipboard() {
  return runAction('desktop:import', async () => {
    const result = await api!.importFromClipboard();
    if (result.error) throw new Error(`${result.name}: stored, but its first download failed: ${result.error}`);
    return result;
  });
}

export function quitApp(): Promise<void | undefined> {
  return runAction('desktop:quit', async () => {
    await api!.quit();
  });
}
