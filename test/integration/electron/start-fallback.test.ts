import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { curl } from '../../helpers/clients.js';
import { startHttpTarget, type HttpTarget } from '../../helpers/http-target.js';
import { freePort } from '../../helpers/ports.js';

const START = path.resolve(__dirname, '../../../bin/start.mjs');
let dir: string;
let target: HttpTarget;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-start-'));
  target = await startHttpTarget();
});
afterAll(async () => {
  await target.close();
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(check: () => boolean, what: string, output: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output so far:\n${output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('npm start without a display', () => {
  it('says why in one line, runs the headless core with the web UI, and stops with exit 0 on SIGTERM', async () => {
    const [mixedPort, controllerPort] = await Promise.all([freePort(), freePort()]);
    const profile = path.join(dir, 'profile.yaml');
    writeFileSync(profile, `mixed-port: ${mixedPort}\nexternal-controller: 127.0.0.1:${controllerPort}\nrules:\n  - MATCH,DIRECT\n`);
    const env: NodeJS.ProcessEnv = { ...process.env, SWITCHYARD_PROFILE: profile };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    delete env.SWITCHYARD_HEADLESS;
    const child = spawn(process.execPath, [START], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const output = () => `${out}\n--- stderr ---\n${err}`;

    try {
      await waitFor(() => out.includes('\nui: '), 'the ui line', output);
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^switchyard: Electron cannot start here: .+; running the headless core with the web UI instead \(profile .+profile\.yaml\)$/);
    // Here: the binary was never downloaded, or there is no display; either way it is named.
    expect(lines[0]).toMatch(/the Electron binary is not installed|the Electron binary is missing|there is no display/);
    expect(lines.filter((l) => l.startsWith('switchyard:'))).toHaveLength(1);
    expect(out).toContain(`mixed: listening on 127.0.0.1:${mixedPort} (socks5, socks4, http)`);
    expect(out).toContain(`controller: http://127.0.0.1:${controllerPort} (Bearer secret generated for this run)`);
    expect(out).toMatch(new RegExp(`ui: http://127\\.0\\.0\\.1:${controllerPort}/ui/#/\\?token=`));

    // The core really serves: traffic through the mixed port, the UI page from the controller.
    const viaProxy = await curl(['-sS', '--max-time', '10', '-x', `socks5h://127.0.0.1:${mixedPort}`, target.url('/hello')]);
    expect(viaProxy.code).toBe(0);
    expect((await fetch(`http://127.0.0.1:${controllerPort}/ui/`)).status).toBe(200);

    child.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(out).toContain('stopped\n');
  });
});
