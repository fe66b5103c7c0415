import { execFile } from 'node:child_process';
import { DesktopError } from '../errors.js';
import type { CommandRunner } from './types.js';

/**
 * Runs programs with execFile (no shell) and a timeout; a failure names the program and its stderr, not
 * the whole argv. `env` replaces the environment (tests point gsettings at a keyfile in a temp folder).
 */
export function commandRunner(env?: NodeJS.ProcessEnv): CommandRunner {
  return (file, args) =>
    new Promise((resolve, reject) => {
      execFile(file, [...args], { timeout: 15_000, windowsHide: true, maxBuffer: 4 * 1024 * 1024, ...(env ? { env } : {}) }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const detail = (stderr || err.message).toString().trim().split('\n')[0]?.slice(0, 300);
        reject(new DesktopError('SYSTEM_PROXY_COMMAND', `${file} ${args[0] ?? ''} failed: ${detail}`, { cause: err }));
      });
    });
}

export const runCommand: CommandRunner = commandRunner();
