import { utilityProcess } from 'electron';
import type { CoreHandle } from './core-supervisor.js';

/** The core in an Electron utility process (a Node environment Chromium's process model supervises). */
export function spawnUtilityCore(entry: string, args: string[]): CoreHandle {
  const child = utilityProcess.fork(entry, args, { serviceName: 'Switchyard core', stdio: 'inherit' });
  return {
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.once('exit', (code) => listener(code)),
    postMessage: (message) => child.postMessage(message),
    kill: () => child.kill(),
  };
}
