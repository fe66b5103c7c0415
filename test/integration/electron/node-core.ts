import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { CoreHandle } from '../../../electron/core-supervisor.js';

export const CORE_ENTRY = path.resolve(__dirname, '../../../electron/core-entry.mjs');

/**
 * The core process as the app runs it, but forked by Node (IPC instead of Electron's parentPort, which
 * core-process.ts speaks both of): the same entry, the same messages, a real process to crash.
 */
export function forkCore(profile: string, dataDir?: string): { child: ChildProcess; handle: CoreHandle; output(): string } {
  const args = ['--profile', profile, ...(dataDir ? ['--data-dir', dataDir] : [])];
  const child = fork(CORE_ENTRY, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const handle: CoreHandle = {
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.once('exit', (code) => listener(code)),
    postMessage: (message) => {
      if (child.connected) child.send(message);
    },
    kill: () => child.kill('SIGKILL'),
  };
  return { child, handle, output: () => out };
}
