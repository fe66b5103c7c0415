import type { CoreStatus } from './contract.js';
import { isCoreToMain, type CoreInfo, type MainToCore } from './core-messages.js';
import { decideRestart, type RestartPolicyOptions } from './restart-policy.js';
import { systemTimers, type Timers } from './throttle.js';

/** One running core process, whatever started it (utilityProcess in the app, child_process in tests). */
export interface CoreHandle {
  onMessage(listener: (message: unknown) => void): void;
  /** Called once, with the exit code (null when a signal ended it). */
  onExit(listener: (code: number | null) => void): void;
  postMessage(message: MainToCore): void;
  kill(): void;
}

export type SpawnCore = () => CoreHandle;

export interface SupervisorListener {
  status(status: CoreStatus): void;
  ready(info: CoreInfo): void;
  /**
   * The core went away unexpectedly (crash, kill, failed start). Runs before any restart is planned: the
   * system proxy must not point at a port nobody listens on.
   */
  down(why: string): void | Promise<void>;
  /** Restarts stopped; tell the user. */
  gaveUp(crashes: number, lastError: string): void;
}

export interface SupervisorOptions {
  timers?: Timers;
  policy?: RestartPolicyOptions;
  /** A core that has not reported ready by then is killed, which counts as a crash. Default 30 s. */
  readyTimeoutMs?: number;
  /** Time a core gets to stop on request before it is killed. Default 5 s. */
  stopTimeoutMs?: number;
}

/**
 * Keeps the core running: starts it, waits for its `ready`, and when it exits unexpectedly tells the
 * listener (`down`), then restarts it with backoff or, after repeated crashes, gives up (`gaveUp`).
 *
 *   start → starting → ready → running ─crash→ down → restarting → starting …
 *                                            └─ too many → failed (restartNow() to try again)
 */
export class CoreSupervisor {
  private handle?: CoreHandle;
  private currentInfo?: CoreInfo;
  private state: CoreStatus = 'stopped';
  private crashTimes: number[] = [];
  private restartTimer?: unknown;
  private readyTimer?: unknown;
  private stopping = false;
  /** Why the current core is going down, when it told us (a `fatal` message) or we killed it. */
  private exitReason?: string;
  private nonRetryable = false;
  private readonly timers: Timers;

  constructor(
    private readonly spawn: SpawnCore,
    private readonly listener: SupervisorListener,
    private readonly options: SupervisorOptions = {},
  ) {
    this.timers = options.timers ?? systemTimers;
  }

  get status(): CoreStatus {
    return this.state;
  }

  /** The running core's address and secret; undefined unless running. */
  get info(): CoreInfo | undefined {
    return this.state === 'running' ? this.currentInfo : undefined;
  }

  start(): void {
    if (this.handle || this.restartTimer !== undefined) return;
    this.stopping = false;
    this.launch();
  }

  /** After giving up, the user asks again: the crash history starts over. */
  restartNow(): void {
    if (this.handle) return;
    this.clearRestartTimer();
    this.crashTimes = [];
    this.stopping = false;
    this.launch();
  }

  /** Asks the core to stop, kills it if it does not within the timeout; no restart follows. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.clearRestartTimer();
    const handle = this.handle;
    if (!handle) {
      this.setStatus('stopped');
      return;
    }
    await new Promise<void>((resolve) => {
      const killTimer = this.timers.setTimeout(() => handle.kill(), this.options.stopTimeoutMs ?? 5000);
      handle.onExit(() => {
        this.timers.clearTimeout(killTimer);
        resolve();
      });
      handle.postMessage({ type: 'stop' });
    });
  }

  private launch(): void {
    this.setStatus('starting');
    this.exitReason = undefined;
    this.nonRetryable = false;
    let handle: CoreHandle;
    try {
      handle = this.spawn();
    } catch (err) {
      void this.onExit(`could not start the core: ${(err as Error).message}`);
      return;
    }
    this.handle = handle;
    this.readyTimer = this.timers.setTimeout(() => {
      this.exitReason = `the core did not report ready within ${(this.options.readyTimeoutMs ?? 30_000) / 1000} s`;
      handle.kill();
    }, this.options.readyTimeoutMs ?? 30_000);
    handle.onMessage((message) => {
      if (!isCoreToMain(message) || handle !== this.handle) return;
      if (message.type === 'ready') {
        this.clearReadyTimer();
        const { type: _type, ...info } = message;
        this.currentInfo = info;
        this.setStatus('running');
        this.listener.ready(info);
      } else {
        this.exitReason = message.message;
        this.nonRetryable = !message.retryable;
      }
    });
    handle.onExit((code) => {
      if (handle !== this.handle) return;
      this.handle = undefined;
      this.clearReadyTimer();
      void this.onExit(this.exitReason ?? `the core exited with ${code === null ? 'a signal' : `code ${code}`}`);
    });
  }

  private async onExit(why: string): Promise<void> {
    this.currentInfo = undefined;
    if (this.stopping) {
      this.setStatus('stopped');
      return;
    }
    const now = this.timers.now();
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < (this.options.policy?.windowMs ?? 120_000)), now];
    // Not running any more, from this moment: nobody may take the old address for a live one.
    this.setStatus('restarting');
    try {
      await this.listener.down(why);
    } catch {
      // Restoring the system proxy failed; the listener reports that itself. The core still comes back.
    }
    if (this.stopping) return;
    const decision = this.nonRetryable ? ({ action: 'give-up', crashesInWindow: this.crashTimes.length } as const) : decideRestart(this.crashTimes, now, this.options.policy);
    if (decision.action === 'give-up') {
      this.setStatus('failed');
      this.listener.gaveUp(decision.crashesInWindow, why);
      return;
    }
    this.restartTimer = this.timers.setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopping) this.launch();
    }, decision.delayMs);
  }

  private setStatus(status: CoreStatus): void {
    if (status === this.state) return;
    this.state = status;
    this.listener.status(status);
  }

  private clearReadyTimer(): void {
    if (this.readyTimer !== undefined) this.timers.clearTimeout(this.readyTimer);
    this.readyTimer = undefined;
  }

  private clearRestartTimer(): void {
    if (this.restartTimer !== undefined) this.timers.clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }
}
