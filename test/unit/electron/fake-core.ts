import type { CoreHandle } from '../../../electron/core-supervisor.js';
import type { CoreInfo, MainToCore } from '../../../electron/core-messages.js';

/** A core process the test drives: it says ready, fails, crashes or stops when told. */
export class FakeCore implements CoreHandle {
  readonly received: MainToCore[] = [];
  killed = false;
  exited = false;
  private readonly messageListeners: ((m: unknown) => void)[] = [];
  private readonly exitListeners: ((code: number | null) => void)[] = [];

  constructor(private readonly stopsWhenAsked = true) {}

  onMessage(listener: (m: unknown) => void): void {
    this.messageListeners.push(listener);
  }

  onExit(listener: (code: number | null) => void): void {
    this.exitListeners.push(listener);
  }

  postMessage(message: MainToCore): void {
    this.received.push(message);
    if (message.type === 'stop' && this.stopsWhenAsked) queueMicrotask(() => this.exit(0));
  }

  kill(): void {
    this.killed = true;
    queueMicrotask(() => this.exit(null));
  }

  ready(info: Partial<CoreInfo> = {}): void {
    const full: CoreInfo = { port: 40000, secret: 'test-secret', mixedHost: '127.0.0.1', mixedPort: 7890, profile: '/p.yaml', ...info };
    for (const l of this.messageListeners) l({ type: 'ready', ...full });
  }

  fatal(message: string, retryable: boolean): void {
    for (const l of this.messageListeners) l({ type: 'fatal', message, retryable });
  }

  exit(code: number | null): void {
    if (this.exited) return;
    this.exited = true;
    for (const l of this.exitListeners) l(code);
  }
}

/** A spawn function that records every core it started. */
export function fakeSpawner(options: { stopsWhenAsked?: boolean } = {}) {
  const cores: FakeCore[] = [];
  const spawn = () => {
    const core = new FakeCore(options.stopsWhenAsked ?? true);
    cores.push(core);
    return core;
  };
  return { cores, spawn, last: () => cores[cores.length - 1]! };
}
