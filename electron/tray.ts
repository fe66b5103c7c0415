import { Menu, Tray, nativeImage, type MenuItemConstructorOptions, type NativeImage, type Rectangle } from 'electron';
import path from 'node:path';
import type { TrayView } from './desktop-ports.js';
import type { TrayAction, TrayIconState, TrayMenuItem } from './tray-menu.js';

/** The tray menu model (tray-menu.ts) as Electron menu templates; clicks come back as TrayActions. */
export function toMenuTemplate(items: readonly TrayMenuItem[], onAction: (action: TrayAction) => void): MenuItemConstructorOptions[] {
  return items.map((item): MenuItemConstructorOptions => {
    switch (item.type) {
      case 'separator':
        return { type: 'separator' };
      case 'submenu':
        return { label: item.label, enabled: item.enabled, submenu: toMenuTemplate(item.items, onAction) };
      case 'normal':
      case 'checkbox':
      case 'radio': {
        const action = item.action;
        return {
          type: item.type,
          label: item.label,
          enabled: item.enabled,
          ...(item.type === 'normal' ? {} : { checked: item.checked }),
          ...(action ? { click: () => onAction(action) } : {}),
        };
      }
    }
  });
}

/**
 * The tray icon. A left click opens the compact view (`onClick` gets the icon's bounds); the menu comes with
 * a right click — on macOS by hand, since a context menu set there would take the left click too.
 */
export class AppTray {
  private readonly tray: Tray;
  private readonly icons: Record<TrayIconState, NativeImage>;
  private icon?: TrayIconState;
  private menu?: Menu;

  constructor(
    iconDir: string,
    private readonly onAction: (action: TrayAction) => void,
    onClick: (bounds: Rectangle) => void,
  ) {
    // name@2x.png beside name.png is picked up for HiDPI screens.
    const load = (state: TrayIconState) => nativeImage.createFromPath(path.join(iconDir, `${state}.png`));
    this.icons = { off: load('off'), on: load('on'), degraded: load('degraded') };
    this.tray = new Tray(this.icons.off);
    this.tray.on('click', (_event, bounds) => onClick(bounds));
    if (process.platform === 'darwin') this.tray.on('right-click', () => this.menu && this.tray.popUpContextMenu(this.menu));
  }

  render(view: TrayView): void {
    if (view.icon !== this.icon) {
      this.tray.setImage(this.icons[view.icon]);
      this.icon = view.icon;
    }
    this.tray.setToolTip(view.tooltip);
    this.menu = Menu.buildFromTemplate(toMenuTemplate(view.menu, this.onAction));
    if (process.platform !== 'darwin') this.tray.setContextMenu(this.menu);
  }

  bounds(): Rectangle {
    return this.tray.getBounds();
  }

  destroy(): void {
    this.tray.destroy();
  }
}
