import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Outbound } from '../../core/adapter/outbound.js';
import { createSocks5 } from '../../core/protocol/socks5/index.js';
import { startControlledSocks5, type ControlledSocks5 } from './controlled-socks5.js';
import { startHttpTarget, type HttpTarget } from './http-target.js';
import { lateBound } from './late-bound.js';

export interface ProbedMember {
  /** The HTTP target the probes fetch from. */
  target: HttpTarget;
  /** The SOCKS5 server the member dials; tests set its delay, drop and throttle. */
  socks: ControlledSocks5;
  /** A socks5 outbound named jp1 to `socks`. */
  member: Outbound;
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
  return {
    target: lateBound('the probe target', () => started?.target),
    socks: lateBound('the probe SOCKS5 server', () => started?.socks),
    member: lateBound('the probed member', () => started?.member),
  };
}
