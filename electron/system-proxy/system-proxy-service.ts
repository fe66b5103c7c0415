import type { SystemProxyStatus } from '../contract.js';
import { DesktopError } from '../errors.js';
import type { SavedProxySettings } from './saved-settings.js';
import type { ProxyEndpoint, SystemProxyBackend } from './types.js';

/**
 * Turns the system proxy on and off without losing the user's own settings:
 *
 *   enable  → (first time) read the current settings → save them to disk → apply ours
 *   disable → restore the saved settings → delete the file
 *   recover → at start, a file left by a crashed run is restored the same way
 *
 * Calls run one at a time, in order, however fast the tray is clicked.
 */
export class SystemProxyService {
  private current: ProxyEndpoint | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly backend: SystemProxyBackend | undefined,
    private readonly saved: SavedProxySettings,
    private readonly bypass: readonly string[],
    private readonly now: () => number = Date.now,
  ) {}

  get available(): boolean {
    return this.backend !== undefined;
  }

  get enabled(): boolean {
    return this.current !== null;
  }

  status(): SystemProxyStatus {
    return { enabled: this.enabled, backend: this.backend?.name ?? null, endpoint: this.current };
  }

  enable(endpoint: ProxyEndpoint): Promise<void> {
    return this.serial(async () => {
      const backend = this.requireBackend();
      // With a file on disk we already hold the user's settings; reading now would save our own.
      if (!(await this.saved.load())) {
        const settings = await backend.read();
        await this.saved.save({ backend: backend.name, savedAt: this.now(), endpoint, settings });
      }
      try {
        await backend.apply(endpoint, this.bypass);
      } catch (err) {
        await this.restoreSaved().catch(() => undefined);
        throw err;
      }
      this.current = endpoint;
    });
  }

  /** Puts the user's settings back; nothing to do when we changed nothing. */
  disable(): Promise<void> {
    return this.serial(() => this.restoreSaved());
  }

  /** At start: restores what a crashed run left behind. True when there was something to restore. */
  recover(): Promise<boolean> {
    return this.serial(async () => {
      if (!(await this.saved.load())) return false;
      await this.restoreSaved();
      return true;
    });
  }

  private async restoreSaved(): Promise<void> {
    const saved = await this.saved.load();
    if (saved) {
      const backend = this.requireBackend();
      if (saved.backend !== backend.name) {
        throw new DesktopError('SYSTEM_PROXY_STATE', `the saved system proxy settings are ${saved.backend}'s, but this desktop uses ${backend.name}; left in ${this.saved.file}`);
      }
      await backend.restore(saved.settings);
      await this.saved.clear();
    }
    this.current = null;
  }

  private requireBackend(): SystemProxyBackend {
    if (!this.backend) throw new DesktopError('SYSTEM_PROXY_UNSUPPORTED', 'no known way to set the system proxy on this desktop');
    return this.backend;
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
