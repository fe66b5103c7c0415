import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Electron's login items cover macOS and Windows; Linux desktops read XDG autostart entries instead. */
export const AUTOSTART_ARG = '--hidden';

/** A `.desktop` Exec value: each argument quoted as the Desktop Entry spec asks. */
export function desktopExec(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `"${a.replace(/(["`$\\])/g, '\\$1')}"`)).join(' ');
}

export function autostartEntry(argv: readonly string[]): string {
  return ['[Desktop Entry]', 'Type=Application', 'Name=Switchyard', 'Comment=Proxy balancer', `Exec=${desktopExec([...argv, AUTOSTART_ARG])}`, 'Terminal=false', 'X-GNOME-Autostart-enabled=true', ''].join('\n');
}

/** `$XDG_CONFIG_HOME/autostart/switchyard.desktop`. */
export class LinuxAutostart {
  readonly file: string;

  constructor(configHome: string) {
    this.file = path.join(configHome, 'autostart', 'switchyard.desktop');
  }

  async enabled(): Promise<boolean> {
    try {
      return !/^X-GNOME-Autostart-enabled=false$/m.test(await readFile(this.file, 'utf8'));
    } catch {
      return false;
    }
  }

  /** `argv`: how to start this app (the AppImage, or electron plus the entry script in development). */
  async set(enabled: boolean, argv: readonly string[]): Promise<void> {
    if (!enabled) return rm(this.file, { force: true });
    await mkdir(path.dirname(this.file), { recursive: true });
    await writeFile(this.file, autostartEntry(argv));
  }
}
