import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_ENTRY, planLaunch } from '../../../electron/launch.js';
import { freePort } from '../../helpers/ports.js';

/*
 * The real app, when this machine can run it: Electron launched by Playwright, a temp profile and data
 * folder. Where the Electron binary was never downloaded or there is no display, the test says so and
 * is skipped.
 */
describe('Electron app (Playwright _electron)', () => {
  it('launches, creates the tray, and its window loads the UI with the secret kept out of the URL', async (ctx) => {
    const plan = planLaunch({ platform: process.platform, env: process.env, requireElectron: () => createRequire(import.meta.url)('electron'), exists: existsSync });
    if (plan.kind !== 'electron') ctx.skip(`Electron cannot start here: ${plan.reason}`);
    if (plan.kind !== 'electron') return;

    const dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-electron-'));
    const profile = path.join(dir, 'profile.yaml');
    writeFileSync(profile, `mixed-port: ${await freePort()}\nrules:\n  - MATCH,DIRECT\n`);
    const { _electron } = await import('playwright-core');
    const sandbox = process.platform === 'linux' && process.getuid?.() === 0 ? ['--no-sandbox'] : [];
    const app = await _electron.launch({
      executablePath: plan.electronPath,
      args: [...sandbox, APP_ENTRY],
      env: { ...process.env, SWITCHYARD_PROFILE: profile, XDG_CONFIG_HOME: dir, HOME: dir, APPDATA: dir },
      timeout: 60_000,
    });
    try {
      const window = await app.firstWindow();
      await window.waitForURL(/\/ui\//, { timeout: 60_000 });
      const hasTray = await app.evaluate(() => Boolean((globalThis as { switchyardShell?: { tray?: unknown } }).switchyardShell?.tray));
      expect(hasTray).toBe(true);
      const controller = await window.evaluate(async () => {
        const bridge = (window as unknown as { switchyardDesktop: { getController(): Promise<{ result?: { url: string; token: string } }> } }).switchyardDesktop;
        return (await bridge.getController()).result;
      });
      expect(controller?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(window.url().startsWith(`${controller!.url}/ui/`)).toBe(true);
      expect(window.url()).not.toContain(controller!.token);
      const res = await fetch(`${controller!.url}/configs`, { headers: { authorization: `Bearer ${controller!.token}` } });
      expect(res.status).toBe(200);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
