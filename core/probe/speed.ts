import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Outbound } from '../adapter/outbound.js';
import type { SpeedResult } from '../adapter/prober.js';
import { type Clock, systemClock } from '../adapter/clock.js';
import { ProxyError } from '../adapter/errors.js';
import { ProbeFailure } from './errors.js';
import { dialThrough, probeHeaders, probeTarget } from './through.js';
import { describeFailure, withDeadline } from './deadline.js';

export const DEFAULT_SPEED_URL = 'https://speed.cloudflare.com/__down?bytes=10485760';
export const DEFAULT_SPEED_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_SPEED_MAX_MS = 10_000;

export interface SpeedProbe {
  url: string;
  /** Stop after this many body bytes... */
  maxBytes: number;
  /** ...or after this long downloading, whichever comes first. */
  maxMs: number;
  /** Budget for the dial and the response headers. */
  timeoutMs: number;
}

/**
 * One bounded download through `outbound`; never throws. The rate is body bytes over the time from the
 * response headers to the stop (so dial and handshake do not count), and `durationMs` is that time;
 * `bytes` is what the test cost, also when it failed half-way.
 */
export async function measureSpeed(outbound: Outbound, probe: SpeedProbe, clock: Clock = systemClock): Promise<SpeedResult> {
  const at = clock.now();
  const started = performance.now();
  const streams: Duplex[] = [];
  const progress = { bytes: 0, from: 0 };
  try {
    const target = probeTarget(probe.url);
    const res = await withDeadline(probe.timeoutMs, `speed test of ${outbound.name}`, (signal) => {
      const connect = dialThrough(outbound, target, signal, (s) => streams.push(s));
      return new Promise<http.IncomingMessage>((resolve, reject) => {
        const req = http.request({
          method: 'GET',
          host: target.destination.host,
          port: target.destination.port,
          path: target.path,
          headers: probeHeaders(target),
          createConnection: connect,
          signal,
        });
        req.once('error', reject);
        req.once('response', resolve);
        req.end();
      });
    });
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw new ProbeFailure('UNEXPECTED_STATUS', `${target.hostHeader} answered ${status} to the speed test, expected 2xx`);
    progress.from = performance.now();
    await download(res, probe, progress);
    const seconds = Math.max(0.001, (performance.now() - progress.from) / 1000);
    if (progress.bytes === 0) throw new ProxyError('TIMEOUT', `no data from ${target.hostHeader} within ${probe.maxMs} ms`);
    return { name: outbound.name, ok: true, mbps: (progress.bytes * 8) / 1e6 / seconds, bytes: progress.bytes, durationMs: Math.round(seconds * 1000), at };
  } catch (err) {
    const durationMs = Math.round(performance.now() - (progress.from || started));
    return { name: outbound.name, ok: false, bytes: progress.bytes, durationMs, error: describeFailure(err), at };
  } finally {
    for (const s of streams) s.destroy();
  }
}

/** Reads the body until maxBytes, maxMs or its end; a connection lost before the end is a failure. */
function download(res: http.IncomingMessage, probe: SpeedProbe, progress: { bytes: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      res.removeAllListeners('data');
      res.destroy();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => finish(), probe.maxMs);
    res.on('data', (chunk: Buffer) => {
      progress.bytes += chunk.length;
      if (progress.bytes >= probe.maxBytes) finish();
    });
    res.once('end', () => finish());
    res.once('error', (err) => finish(new ProxyError('UPSTREAM_CLOSED', `speed test download broke off: ${err.message}`, { cause: err })));
    res.once('close', () => {
      if (!res.complete) finish(new ProxyError('UPSTREAM_CLOSED', 'speed test download broke off before the end of the body'));
    });
  });
}
