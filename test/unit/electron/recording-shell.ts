import type { ControllerInfo, DesktopState } from '../../../electron/contract.js';
import type { DesktopShell, TrayView } from '../../../electron/desktop-ports.js';

/** The Electron side of DesktopApp as a recorder: what the tray, notifications and windows were given. */
export class RecordingShell implements DesktopShell {
  readonly trays: TrayView[] = [];
  readonly notices: { title: string; body: string }[] = [];
  readonly controllers: ControllerInfo[] = [];
  readonly states: DesktopState[] = [];
  clipboard = '';
  autostart = false;
  windowShown = 0;
  exited = false;
  renderTray(view: TrayView) {
    this.trays.push(view);
  }
  notify(title: string, body: string) {
    this.notices.push({ title, body });
  }
  showWindow() {
    this.windowShown++;
  }
  readClipboard() {
    return this.clipboard;
  }
  async getAutostart() {
    return this.autostart;
  }
  async setAutostart(enabled: boolean) {
    this.autostart = enabled;
  }
  controllerChanged(info: ControllerInfo) {
    this.controllers.push(info);
  }
  stateChanged(state: DesktopState) {
    this.states.push(state);
  }
  exit() {
    this.exited = true;
  }
  get tray(): TrayView {
    return this.trays[this.trays.length - 1]!;
  }
}
