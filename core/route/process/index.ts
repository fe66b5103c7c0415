import type { Logger } from '../../logger.js';
import { DarwinProcessLookup } from './darwin.js';
import { LinuxProcessLookup } from './linux.js';
import type { ProcessLookup } from './types.js';
import { WindowsProcessLookup } from './windows.js';

/** The lookup for this platform, or undefined where there is none (per-app rules then never match). */
export function createProcessLookup(platform: NodeJS.Platform = process.platform, logger?: Logger): ProcessLookup | undefined {
  switch (platform) {
    case 'linux':
      return new LinuxProcessLookup({ logger });
    case 'darwin':
      return new DarwinProcessLookup();
    case 'win32':
      return new WindowsProcessLookup();
    default:
      return undefined;
  }
}

export type { ProcessLookup, ProcessInfo } from './types.js';
