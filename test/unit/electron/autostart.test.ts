import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LinuxAutostart, desktopExec } from '../../../electron/autostart.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-autostart-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('Linux autostart (XDG)', () => {
  it('writes and removes ~/.config/autostart/switchyard.desktop, starting hidden', async () => {
    const autostart = new LinuxAutostart(dir);
    expect(await autostart.enabled()).toBe(false);
    await autostart.set(true, ['/opt/My Apps/Switchyard.AppImage']);
    expect(await autostart.enabled()).toBe(true);
    const entry = readFileSync(path.join(dir, 'autostart', 'switchyard.desktop'), 'utf8');
    expect(entry).toContain('[Desktop Entry]\nType=Application\nName=Switchyard\n');
    expect(entry).toContain('Exec="/opt/My Apps/Switchyard.AppImage" --hidden\n');
    await autostart.set(false, []);
    expect(await autostart.enabled()).toBe(false);
  });

  it('quotes Exec arguments as the Desktop Entry spec asks', () => {
    expect(desktopExec(['/usr/bin/electron', '/home/me/switch yard/electron/entry.mjs'])).toBe('/usr/bin/electron "/home/me/switch yard/electron/entry.mjs"');
    expect(desktopExec(['/x/$HOME"`'])).toBe('"/x/\\$HOME\\"\\`"');
  });
});
