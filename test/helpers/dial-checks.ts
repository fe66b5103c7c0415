import type { Duplex } from 'node:stream';
import { expect } from 'vitest';
import { ProxyError } from '../../core/adapter/errors.js';
import { connectTcp } from '../../core/transport/tcp.js';

/** What an outbound's dial rejects with: a ProxyError's code, and the outbound it names. */
export type DialError = Error & { code: string; outbound?: string };

/** The error a dial fails with; a dial that succeeds is a test failure (its stream is destroyed). */
export function dialFailure(dialing: Promise<Duplex>): Promise<DialError> {
  return dialing.then(
    (s) => {
      s.destroy();
      throw new Error('dial unexpectedly succeeded');
    },
    (e: unknown) => e as DialError,
  );
}

/** The first n bytes the caller reads from a dialed stream; fails fast when they never come. */
export function firstBytes(stream: Duplex, n: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`only ${got.length} of ${n} bytes within ${timeoutMs} ms`));
    }, timeoutMs);
    stream.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= n) {
        clearTimeout(timer);
        stream.destroy();
        resolve(got.subarray(0, n).toString());
      }
    });
    stream.once('error', reject);
    stream.once('end', () => reject(new Error(`ended after ${got.length} bytes`)));
  });
}

/**
 * Dials with `dial` and checks the handshake left nothing behind: no timer still pending, no listener
 * for `events` beyond what a plain TCP socket to `port` has, and aborting the dial's signal afterwards
 * does not touch the established stream.
 */
export async function expectDialLeavesNothingBehind(port: number, events: readonly string[], dial: (signal: AbortSignal) => Promise<Duplex>): Promise<void> {
  const plain = await connectTcp({ host: '127.0.0.1', port });
  const baseline = listenerCounts(plain, events);
  plain.destroy();
  const ac = new AbortController();
  const timersBefore = activeTimers();
  const stream = await dial(ac.signal);
  expect(activeTimers()).toBe(timersBefore);
  expect(listenerCounts(stream, events)).toEqual(baseline);
  ac.abort();
  expect(stream.destroyed).toBe(false);
  stream.destroy();
}

function listenerCounts(s: Duplex, events: readonly string[]): Record<string, number> {
  return Object.fromEntries(events.map((e) => [e, s.listenerCount(e)]));
}

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** A dial refused for its credentials: a ProxyError UPSTREAM_AUTH_FAILED naming `outbound`, the password nowhere in the message. */
export function expectAuthFailureHidingPassword(err: unknown, outbound: string, password: string): void {
  expect(err).toBeInstanceOf(ProxyError);
  expect(err).toMatchObject({ code: 'UPSTREAM_AUTH_FAILED', outbound });
  expect((err as Error).message).not.toContain(password);
}
