import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CoreStatus } from '../../../electron/contract.js';
import { CoreSupervisor } from '../../../electron/core-supervisor.js';
import { systemTimers } from '../../../electron/throttle.js';
import { fakeSpawner } from './fake-core.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function setup(options: { stopsWhenAsked?: boolean; readyTimeoutMs?: number } = {}) {
  const spawner = fakeSpawner(options);
  const events: string[] = [];
  const statuses: CoreStatus[] = [];
  const supervisor = new CoreSupervisor(
    spawner.spawn,
    {
      status: (s) => statuses.push(s),
      ready: (info) => events.push(`ready:${info.port}`),
      down: (why) => {
        events.push(`down:${why}`);
      },
      gaveUp: (n, why) => events.push(`gave-up:${n}:${why}`),
    },
    { timers: systemTimers, readyTimeoutMs: options.readyTimeoutMs, stopTimeoutMs: 5000 },
  );
  return { spawner, events, statuses, supervisor };
}

const flush = () => vi.advanceTimersByTimeAsync(0);

describe('CoreSupervisor', () => {
  it('starts the core and reports its address once it is ready', async () => {
    const { spawner, events, statuses, supervisor } = setup();
    supervisor.start();
    expect(supervisor.status).toBe('starting');
    expect(supervisor.info).toBeUndefined();
    spawner.last().ready({ port: 41000 });
    expect(events).toEqual(['ready:41000']);
    expect(supervisor.info).toMatchObject({ port: 41000, secret: 'test-secret' });
    expect(statuses).toEqual(['starting', 'running']);
  });

  it('a crash: down first (system proxy), then a restart after the backoff', async () => {
    const { spawner, events, statuses, supervisor } = setup();
    supervisor.start();
    spawner.last().ready({ port: 41000 });
    spawner.last().exit(139);
    await flush();
    expect(events).toEqual(['ready:41000', 'down:the core exited with code 139']);
    expect(supervisor.status).toBe('restarting');
    expect(supervisor.info).toBeUndefined();
    await vi.advanceTimersByTimeAsync(999);
    expect(spawner.cores).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(spawner.cores).toHaveLength(2);
    spawner.last().ready({ port: 42000 });
    expect(supervisor.info?.port).toBe(42000);
    expect(statuses).toEqual(['starting', 'running', 'restarting', 'starting', 'running']);
  });

  it('waits longer after each crash in a row: 1 s, 2 s, 4 s, 8 s', async () => {
    const { spawner, supervisor } = setup();
    supervisor.start();
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      spawner.last().exit(1);
      await flush();
      const before = spawner.cores.length;
      let waited = 0;
      while (spawner.cores.length === before) {
        await vi.advanceTimersByTimeAsync(100);
        waited += 100;
      }
      waits.push(waited);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000]);
  });

  it('repeated crashes: stops restarting and tells the user why; restartNow starts over', async () => {
    const { spawner, events, supervisor } = setup();
    supervisor.start();
    for (let i = 0; i < 5; i++) {
      spawner.last().fatal('mixed port busy', true);
      spawner.last().exit(2);
      await vi.advanceTimersByTimeAsync(20_000);
    }
    expect(spawner.cores).toHaveLength(5);
    expect(supervisor.status).toBe('failed');
    expect(events.filter((e) => e.startsWith('down:'))).toHaveLength(5);
    expect(events.at(-1)).toBe('gave-up:5:mixed port busy');
    await vi.advanceTimersByTimeAsync(600_000);
    expect(spawner.cores).toHaveLength(5);

    supervisor.restartNow();
    expect(spawner.cores).toHaveLength(6);
    spawner.last().ready();
    expect(supervisor.status).toBe('running');
  });

  it('a bad profile is not retried: it would fail the same way', async () => {
    const { spawner, events, supervisor } = setup();
    supervisor.start();
    spawner.last().fatal('profile error: rules[0]: unknown target', false);
    spawner.last().exit(2);
    await flush();
    expect(supervisor.status).toBe('failed');
    expect(events).toEqual(['down:profile error: rules[0]: unknown target', 'gave-up:1:profile error: rules[0]: unknown target']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(spawner.cores).toHaveLength(1);
  });

  it('a core that never reports ready is killed, and that counts as a crash', async () => {
    const { spawner, events, supervisor } = setup({ readyTimeoutMs: 3000 });
    supervisor.start();
    await vi.advanceTimersByTimeAsync(3000);
    expect(spawner.cores[0]!.killed).toBe(true);
    expect(events).toEqual(['down:the core did not report ready within 3 s']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(spawner.cores).toHaveLength(2);
  });

  it('stop asks the core to stop; no down, no restart', async () => {
    const { spawner, events, statuses, supervisor } = setup();
    supervisor.start();
    spawner.last().ready();
    await supervisor.stop();
    expect(spawner.cores[0]!.received).toEqual([{ type: 'stop' }]);
    expect(spawner.cores[0]!.killed).toBe(false);
    expect(statuses.at(-1)).toBe('stopped');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(spawner.cores).toHaveLength(1);
    expect(events).toEqual(['ready:40000']);
  });

  it('stop kills a core that does not stop in time', async () => {
    const { spawner, supervisor } = setup({ stopsWhenAsked: false });
    supervisor.start();
    spawner.last().ready();
    const stopped = supervisor.stop();
    await vi.advanceTimersByTimeAsync(5000);
    await stopped;
    expect(spawner.cores[0]!.killed).toBe(true);
    expect(supervisor.status).toBe('stopped');
  });

  it('stop during the backoff cancels the restart', async () => {
    const { spawner, supervisor } = setup();
    supervisor.start();
    spawner.last().exit(1);
    await flush();
    await supervisor.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(spawner.cores).toHaveLength(1);
    expect(supervisor.status).toBe('stopped');
  });
});
