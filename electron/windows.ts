import { BrowserWindow, screen, shell, type Rectangle } from 'electron';
import type { ControllerInfo } from './contract.js';
import { popoverPosition } from './tray-position.js';

export interface AppWindowsOptions {
  preload: string;
  icon: string;
}

const POPOVER_SIZE = { width: 380, height: 520 };
const STARTING_PAGE = `data:text/html;charset=utf-8,${encodeURIComponent('<!doctype html><title>Switchyard</title><p style="font:14px system-ui;margin:2em">Starting the Switchyard core…</p>')}`;

/**
 * The main window and the tray popover. Both show the UI the controller serves at /ui; the secret reaches
 * them through the preload (getController), never in the URL they load. Closing hides: the app lives on in
 * the tray until Quit.
 */
export class AppWindows {
  private main?: BrowserWindow;
  private popover?: BrowserWindow;
  private controller?: ControllerInfo;
  private popoverBlurredAt = 0;
  quitting = false;

  constructor(private readonly options: AppWindowsOptions) {}

  get controllerUrl(): string | undefined {
    return this.controller?.url;
  }

  /** The core (re)started: windows load the UI from its new address. */
  setController(info: ControllerInfo): void {
    this.controller = info;
    if (this.main) void this.main.loadURL(this.uiUrl('/'));
    if (this.popover) void this.popover.loadURL(this.uiUrl('/tray'));
  }

  showMain(): void {
    this.main ??= this.create({ width: 1180, height: 760, minWidth: 720, minHeight: 480, title: 'Switchyard', show: false }, '/');
    this.main.show();
    this.main.focus();
  }

  /** The compact view beside the tray icon; a second click or a click elsewhere hides it. */
  togglePopover(trayBounds: Rectangle): void {
    if (this.popover?.isVisible()) return this.popover.hide();
    // A click on the icon first blurs (and so hides) an open popover; that click means "close", not "reopen".
    if (Date.now() - this.popoverBlurredAt < 300) return;
    if (!this.popover) {
      this.popover = this.create(
        { ...POPOVER_SIZE, frame: false, resizable: false, movable: false, skipTaskbar: true, alwaysOnTop: true, show: false, fullscreenable: false },
        '/tray',
      );
      this.popover.on('blur', () => {
        this.popoverBlurredAt = Date.now();
        this.popover?.hide();
      });
    }
    const cursor = screen.getCursorScreenPoint();
    const display = screen.getDisplayNearestPoint(trayBounds.width > 0 ? { x: trayBounds.x, y: trayBounds.y } : cursor);
    this.popover.setPosition(...toPair(popoverPosition(trayBounds, POPOVER_SIZE, display.workArea, cursor)));
    this.popover.show();
    this.popover.focus();
  }

  /** An event for every window's preload. */
  send(channel: string, payload: unknown): void {
    for (const w of [this.main, this.popover]) if (w && !w.isDestroyed()) w.webContents.send(channel, payload);
  }

  private uiUrl(route: string): string {
    return this.controller ? `${this.controller.url}/ui/#${route}` : STARTING_PAGE;
  }

  private create(options: Electron.BrowserWindowConstructorOptions, route: string): BrowserWindow {
    const win = new BrowserWindow({
      ...options,
      icon: this.options.icon,
      webPreferences: { preload: this.options.preload, contextIsolation: true, sandbox: true, nodeIntegration: false },
    });
    win.on('close', (event) => {
      if (this.quitting) return;
      event.preventDefault();
      win.hide();
    });
    // Our UI stays in the window; any other link opens in the user's browser.
    const external = (url: string) => {
      if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    };
    win.webContents.setWindowOpenHandler(({ url }) => {
      external(url);
      return { action: 'deny' };
    });
    win.webContents.on('will-navigate', (event, url) => {
      if (this.controller && URL.canParse(url) && new URL(url).origin === new URL(this.controller.url).origin) return;
      event.preventDefault();
      external(url);
    });
    void win.loadURL(this.uiUrl(route));
    return win;
  }
}

const toPair = (p: { x: number; y: number }): [number, number] => [p.x, p.y];
