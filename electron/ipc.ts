import { ipcMain } from 'electron';
import { DESKTOP_METHODS, invokeChannel } from './contract.js';
import { dispatchDesktopCall } from './bridge-dispatch.js';
import type { DesktopHandlers } from './desktop-ports.js';

/** One ipcMain handler per contract method; `trusted` decides from the calling frame's URL. */
export function registerDesktopIpc(handlers: DesktopHandlers, trusted: (frameUrl: string | undefined) => boolean): void {
  for (const method of DESKTOP_METHODS) {
    ipcMain.handle(invokeChannel(method), (event, ...args: unknown[]) => {
      if (!trusted(event.senderFrame?.url)) return { error: { code: 'FORBIDDEN', message: 'desktop actions are for the Switchyard UI only' } };
      return dispatchDesktopCall(handlers, method, args);
    });
  }
}
