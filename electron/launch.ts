import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npm start`: the Electron app where it can start, else the headless core with the web UI, said in one
 * line. Nothing here imports electron: this runs under plain Node.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const APP_ENTRY = path.join(ROOT, 'electron', 'entry.mjs');
export const CORE_CLI = path.join(ROOT, 'bin', 'switchyard.mjs');
export const DEFAULT_PROFILE = path.join(ROOT, 'resources', 'default-profile.yaml');
/** The folder name under the OS's app-data folder, as main.ts sets it for Electron. */
export const APP_NAME = 'Switchyard';

export type LaunchPlan = { kind: 'electron'; electronPath: string } | { kind: 'headless'; reason: string };

export interface LaunchProbe {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  /** `require('electron')` from Node: the binary's path, or a throw when it was never downloaded. */
  requireElectron(): unknown;
  exists(file: string): boolean;
}

/** Whether Electron can start here, and if not, why (one clause, for the one line). */
export function planLaunch(probe: LaunchProbe): LaunchPlan {
  if (probe.env.SWITCHYARD_HEADLESS === '1') return { kind: 'headless', reason: 'SWITCHYARD_HEADLESS=1 is set' };
  let electronPath: unknown;
  try {
    electronPath = probe.requireElectron();
  } catch (err) {
    const first = String((err as Error)?.message ?? err).split('\n')[0];
    return { kind: 'headless', reason: `the Electron binary is not installed (${first})` };
  }
  if (typeof electronPath !== 'string' || electronPath === '') return { kind: 'headless', reason: 'the electron package gave no binary path' };
  if (!probe.exists(electronPath)) return { kind: 'headless', reason: `the Electron binary is missing (${electronPath})` };
  const unixDesktop = probe.platform !== 'win32' && probe.platform !== 'darwin';
  if (unixDesktop && !probe.env.DISPLAY && !probe.env.WAYLAND_DISPLAY) return { kind: 'headless', reason: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  return { kind: 'electron', electronPath };
}

/** Electron's `userData` for this app (main.ts sets the same path, so both agree on the profile). */
export function userDataDir(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, home: string): string {
  if (platform === 'win32') return path.join(env.APPDATA || path.join(home, 'AppData', 'Roaming'), APP_NAME);
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_NAME);
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), APP_NAME);
}

/** SWITCHYARD_PROFILE, else the user's profile.yaml in the data folder, else the shipped default. */
export function resolveProfile(env: NodeJS.ProcessEnv, userData: string, exists: (file: string) => boolean): string {
  if (env.SWITCHYARD_PROFILE) return path.resolve(env.SWITCHYARD_PROFILE);
  const own = path.join(userData, 'profile.yaml');
  return exists(own) ? own : DEFAULT_PROFILE;
}

/** Runs `child` to its end, passing on Ctrl-C and SIGTERM; exits with its code. */
function supervise(child: ChildProcess): void {
  const forward = (signal: NodeJS.Signals) => () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  child.once('error', (err) => {
    process.stderr.write(`switchyard: could not start ${child.spawnfile}: ${err.message}\n`);
    process.exit(1);
  });
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

export function main(): void {
  const probe: LaunchProbe = {
    platform: process.platform,
    env: process.env,
    requireElectron: () => createRequire(import.meta.url)('electron'),
    exists: existsSync,
  };
  const plan = planLaunch(probe);
  const profile = resolveProfile(process.env, userDataDir(process.platform, process.env, os.homedir()), existsSync);
  if (plan.kind === 'electron') {
    const env = { ...process.env };
    delete env.ELECTRON_RUN_AS_NODE;
    // Chromium refuses to run as root without this; a desktop user is never root, a container often is.
    const sandbox = process.platform === 'linux' && process.getuid?.() === 0 ? ['--no-sandbox'] : [];
    supervise(spawn(plan.electronPath, [...sandbox, APP_ENTRY, ...process.argv.slice(2)], { stdio: 'inherit', env }));
    return;
  }
  process.stdout.write(`switchyard: Electron cannot start here: ${plan.reason}; running the headless core with the web UI instead (profile ${profile})\n`);
  supervise(spawn(process.execPath, [CORE_CLI, 'run', '-c', profile], { stdio: 'inherit' }));
}
