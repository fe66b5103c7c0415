import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Endpoint, Outbound } from '../adapter/outbound.js';
import type { LatencyResult } from '../adapter/prober.js';
import { type Clock, systemClock } from '../adapter/clock.js';
import { connectTcp } from '../transport/tcp.js';
import { ProbeFailure } from './errors.js';
import { dialThrough, OneConnectionAgent, probeHeaders, probeTarget, type ProbeTarget } from './through.js';
import { describeFailure, withDeadline } from './deadline.js';

export const DEFAULT_LATENCY_URL = 'http://cp.cloudflare.com/generate_204';
export const DEFAULT_LATENCY_TIMEOUT_MS = 5000;

export type LatencyMode = LatencyResult['mode'];

export interface LatencyProbe {
  url: string;
  timeoutMs: number;
  /** Statuses that count as success; any 2xx or 3xx when absent (Clash's generate_204 check). */
  expectedStatus?: readonly number[];
  mode: LatencyMode;
  /** The server's own host:port, for `tcp` mode (a pool or DIRECT has none). */
  endpoint?: { host: string; port: number } | Endpoint;
}

/**
 * One latency test of one outbound; never throws, a failure is a result with `ok: false`.
 * - `http` ("real delay"): from the start of the dial through the outbound to the response headers of a
 *   HEAD to `url` — what a browser waits before its first byte on a fresh connection.
 * - `unified`: a first GET opens the connection, then only a second GET on the same connection is timed,
 *   so the figure leaves out the dial and the proxy handshake (mihomo's unified-delay). GET, because
 *   Node's client never keeps a connection alive after a HEAD answered without Content-Length.
 * - `tcp`: connect time to the server's own address, for providers that block test URLs.
 */
export async function measureLatency(outbound: Outbound, probe: LatencyProbe, clock: Clock = systemClock): Promise<LatencyResult> {
  const at = clock.now();
  const base = { name: outbound.name, mode: probe.mode, at };
  try {
    const ms = probe.mode === 'tcp' ? await tcpPing(outbound.name, probe) : await httpDelay(outbound, probe);
    return { ...base, ok: true, latencyMs: Math.round(ms * 10) / 10 };
  } catch (err) {
    return { ...base, ok: false, error: describeFailure(err) };
  }
}

function httpDelay(outbound: Outbound, probe: LatencyProbe): Promise<number> {
  const target = probeTarget(probe.url);
  return withDeadline(probe.timeoutMs, `latency test of ${outbound.name}`, async (signal) => {
    const streams: Duplex[] = [];
    const connect = dialThrough(outbound, target, signal, (s) => streams.push(s));
    try {
      if (probe.mode === 'unified') {
        const agent = new OneConnectionAgent(connect);
        try {
          await request('GET', target, { agent }, signal, probe.expectedStatus);
          const started = performance.now();
          await request('GET', target, { agent }, signal, probe.expectedStatus);
          return performance.now() - started;
        } finally {
          agent.destroy();
        }
      }
      const started = performance.now();
      await request('HEAD', target, { createConnection: connect }, signal, probe.expectedStatus);
      return performance.now() - started;
    } finally {
      for (const s of streams) s.destroy();
    }
  });
}

/**
 * One request; resolves once the whole response is in (a test URL answers 204 or a few bytes), so a
 * kept-alive connection is free again for the next.
 */
function request(
  method: 'HEAD' | 'GET',
  target: ProbeTarget,
  via: Pick<http.RequestOptions, 'agent' | 'createConnection'>,
  signal: AbortSignal,
  expected?: readonly number[],
): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      ...via,
      method,
      host: target.destination.host,
      port: target.destination.port,
      path: target.path,
      headers: probeHeaders(target),
      signal,
    });
    req.once('error', reject);
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      const ok = expected?.length ? expected.includes(status) : status >= 200 && status < 400;
      if (!ok) {
        res.destroy();
        const wanted = expected?.length ? expected.join(', ') : '2xx or 3xx';
        return reject(new ProbeFailure('UNEXPECTED_STATUS', `${target.hostHeader} answered ${status}, expected ${wanted}`));
      }
      res.once('end', resolve);
      res.once('error', reject);
      res.resume();
    });
    req.end();
  });
}

function tcpPing(name: string, probe: LatencyProbe): Promise<number> {
  const endpoint = probe.endpoint;
  if (!endpoint) return Promise.reject(new ProbeFailure('NO_ENDPOINT', `${name} has no server address to ping (tcp mode needs a server and port)`));
  const host = 'host' in endpoint ? endpoint.host : endpoint.address;
  return withDeadline(probe.timeoutMs, `tcp ping of ${name}`, async (signal) => {
    const started = performance.now();
    const socket = await connectTcp({ host, port: endpoint.port }, { timeoutMs: probe.timeoutMs, signal });
    const ms = performance.now() - started;
    socket.destroy();
    return ms;
  });
}
