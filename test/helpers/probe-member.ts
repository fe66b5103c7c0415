import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Outbound } from '../../core/adapter/outbound.js';
import { createSocks5 } from '../../core/protocol/socks5/index.js';
import { startControlledSocks5, type ControlledSocks5 } from './controlled-socks5.js';
import { startHttpTarget, type HttpTarget } from './http-target.js';

export interface ProbedMember {
  /** The HTTP target the probes fetch from. */
  readonly target: HttpTarget;
  /** The SOCKS5 server the member dials; tests set its delay, drop and throttle. */
  readonly socks: ControlledSocks5;
  /** A socks5 outbound named jp1 to `socks`. */
  readonly member: Outbound;
}

/**
 * The probe tests' fixture, started once per file: target ← controlled SOCKS5 ← outbound jp1. After each
 * test the server goes back to answering at once and its counters restart, so tests do not see each other.
 */
export function useProbedMember(): ProbedMember {
  let started: ProbedMember | undefined;
  beforeAll(async () => {
    const target = await startHttpTarget();
    const socks = await startControlledSocks5();
    started = { target, socks, member: createSocks5({ name: 'jp1', type: 'socks5', server: '127.0.0.1', port: socks.port }) };
  });
  afterAll(async () => {
    await started?.socks.close();
    await started?.target.close();
  });
  afterEach(() => {
    started?.socks.set({ delayMs: 0, drop: false, bytesPerSecond: undefined });
    started?.socks.resetCounters();
  });
  const get = (): ProbedMember => {
    if (!started) throw new Error('useProbedMember: used outside a test (before beforeAll ran)');
    return started;
  };
  return {
    get target() {
      return get().target;
    },
    get socks() {
      return get().socks;
    },
    get member() {
      return get().member;
    },
  };
}
