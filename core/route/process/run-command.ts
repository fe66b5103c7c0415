import { execFile } from 'node:child_process';
import type { CommandRunner } from './types.js';

/** execFile with a deadline and a bounded output, for lsof / ps / netstat / tasklist. */
export const runCommand: CommandRunner = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: 3_000, maxBuffer: 16 * 1024 * 1024, windowsHide: true }, (err, stdout) => {
      // lsof exits 1 when nothing matched; its (empty) output still says so.
      if (err && !stdout) reject(err);
      else resolve(stdout);
    });
  });

/** host:port as these tools print it: IPv6 in brackets. */
export const endpointText = (address: string, port: number) => (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`);

/** Per-pid answers kept a few seconds: pids are reused, and asking again costs a process spawn. */
export class PidCache<T> {
  private readonly entries = new Map<number, { at: number; value: T }>();

  constructor(private readonly ttlMs = 10_000) {}

  async get(pid: number, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const hit = this.entries.get(pid);
    if (hit && now - hit.at < this.ttlMs) return hit.value;
    const value = await load();
    if (this.entries.size > 1024) this.entries.clear();
    this.entries.set(pid, { at: now, value });
    return value;
  }
}
