import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DesktopError } from '../errors.js';
import type { ProxyEndpoint } from './types.js';

/** The system proxy settings from before we changed them, as written to disk. */
export interface SavedSystemProxy {
  /** Which backend read them (they only mean something to that one). */
  backend: string;
  savedAt: number;
  /** What we pointed the system at. */
  endpoint: ProxyEndpoint;
  settings: unknown;
}

/**
 * The user's own system proxy settings, kept in a JSON file (in the app's user data folder) for as long as
 * ours are in force. The file outlives a crash, so the next start can put the user's settings back.
 */
export class SavedProxySettings {
  constructor(readonly file: string) {}

  async load(): Promise<SavedSystemProxy | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new DesktopError('SYSTEM_PROXY_STATE', `cannot read the saved system proxy settings (${this.file}): ${(err as Error).message}`, { cause: err });
    }
    try {
      const saved = JSON.parse(text) as SavedSystemProxy;
      if (typeof saved?.backend !== 'string' || saved.settings === undefined) throw new Error('missing backend or settings');
      return saved;
    } catch (err) {
      throw new DesktopError('SYSTEM_PROXY_STATE', `the saved system proxy settings (${this.file}) are damaged: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Written whole or not at all (temporary file, then rename), readable by the user only. */
  async save(saved: SavedSystemProxy): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, this.file);
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
