import fs from 'node:fs/promises';
import type { Socket } from 'node:net';
import { SocksClient } from 'socks';
import { runBounded } from './children.js';

const MiB = 1024 * 1024;

export interface Download {
  bytes: number;
  seconds: number;
  /** performance.now() at the transfer's end as seen here; its start is this minus `seconds` */
  endedAtMs: number;
  mibPerSec: number;
  /** curl's time_starttransfer: connect + proxy handshake + request → first response byte */
  ttfbMs: number;
}

function curlArgs(url: string, proxyPort: number | null, timeoutMs: number): string[] {
  const via = proxyPort === null ? ['--noproxy', '*'] : ['--socks5-hostname', `127.0.0.1:${proxyPort}`];
  const w = '%{http_code} %{size_download} %{speed_download} %{time_starttransfer} %{time_total}';
  return ['-s', '-S', '-o', '/dev/null', '--max-time', String(Math.ceil(timeoutMs / 1000)), '-w', w, ...via, url];
}

/** One curl download to /dev/null; fails unless it is a 200 with exactly `bytes` bytes. */
export async function curlDownload(url: string, bytes: number, proxyPort: number | null, timeoutMs: number): Promise<Download> {
  const res = await runBounded('curl', curlArgs(url, proxyPort, timeoutMs), timeoutMs + 5000);
  const endedAtMs = performance.now();
  const [code, size, speed, ttfb, total] = res.stdout.trim().split(' ');
  if (res.code !== 0 || code !== '200' || Number(size) !== bytes) {
    throw new Error(`curl ${url}: exit ${res.code}, http ${code}, ${size}/${bytes} bytes ${res.stderr.trim()}`);
  }
  return { bytes, seconds: Number(total), endedAtMs, mibPerSec: Number(speed) / MiB, ttfbMs: Number(ttfb) * 1000 };
}

export interface ParallelDownload {
  streams: number;
  bytes: number;
  seconds: number;
  /** all bytes over the wall time from the first start to the last finish */
  mibPerSec: number;
}

/**
 * `streams` curls at once, each fetching `bytesEach`; the figure is all bytes over the window from the
 * first transfer's start to the last one's end. Starts are taken from curl's own clock (end − time_total),
 * so the milliseconds it takes to spawn eight processes do not count as transfer time.
 */
export async function parallelDownload(url: string, bytesEach: number, streams: number, proxyPort: number | null, timeoutMs: number): Promise<ParallelDownload> {
  const results = await Promise.allSettled(Array.from({ length: streams }, () => curlDownload(url, bytesEach, proxyPort, timeoutMs)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const done = results.map((r) => (r as PromiseFulfilledResult<Download>).value);
  const end = Math.max(...done.map((d) => d.endedAtMs / 1000));
  const start = Math.min(...done.map((d) => d.endedAtMs / 1000 - d.seconds));
  const seconds = end - start;
  const bytes = bytesEach * streams;
  return { streams, bytes, seconds, mibPerSec: bytes / MiB / seconds };
}

export interface ConnectionRate {
  completed: number;
  seconds: number;
  perSecond: number;
  errors: number;
  timeouts: number;
  ttfbMs: { p50: number; p90: number; p99: number; max: number };
  errorSample: string | null;
}

export interface RateOptions {
  concurrency: number;
  seconds: number;
  threads: number;
  warmupSeconds: number;
}

/** bench/native/loadgen: fresh connections (SOCKS5 CONNECT when proxied) + GET /hello, `concurrency` in flight. */
export async function connectionRate(loadgen: string, targetPort: number, proxyPort: number | null, o: RateOptions): Promise<ConnectionRate> {
  const args = ['-t', `127.0.0.1:${targetPort}`, '-c', String(o.concurrency), '-d', String(o.seconds), '-w', String(o.warmupSeconds), '-T', String(o.threads), '-P', '/hello'];
  if (proxyPort !== null) args.push('-x', `127.0.0.1:${proxyPort}`);
  const res = await runBounded(loadgen, args, (o.seconds + o.warmupSeconds + 20) * 1000);
  if (res.code !== 0 || res.timedOut) throw new Error(`loadgen ${res.timedOut ? 'timed out' : `exit ${res.code}`}: ${res.stderr.trim()}`);
  const rate = JSON.parse(res.stdout) as ConnectionRate;
  if (rate.completed === 0) throw new Error(`no request completed (${rate.errors} errors, e.g. ${rate.errorSample})`);
  return rate;
}

export interface IdleTunnels {
  open: number;
  close(): void;
}

/**
 * Opens `count` SOCKS5 CONNECT tunnels to the target and leaves them idle (handshake done, no bytes after).
 * Opens at most `parallel` at a time, like a browser would not open a thousand in the same millisecond.
 */
export async function openIdleTunnels(proxyPort: number, targetPort: number, count: number, timeoutMs: number, parallel = 32): Promise<IdleTunnels> {
  const sockets: Socket[] = [];
  const deadline = Date.now() + timeoutMs;
  let next = 0;
  let failure: Error | null = null;
  const worker = async () => {
    while (next < count && !failure) {
      next++;
      try {
        const { socket } = await SocksClient.createConnection({
          proxy: { host: '127.0.0.1', port: proxyPort, type: 5 },
          command: 'connect',
          destination: { host: '127.0.0.1', port: targetPort },
          timeout: Math.max(1000, deadline - Date.now()),
        });
        socket.on('error', () => {});
        sockets.push(socket);
      } catch (err) {
        failure = err as Error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  const close = () => {
    for (const s of sockets) s.destroy();
  };
  if (failure) {
    close();
    throw new Error(`opened ${sockets.length} of ${count} idle tunnels: ${(failure as Error).message}`);
  }
  return { open: sockets.length, close };
}

export interface Memory {
  rssMiB: number;
  /** VmHWM: the highest RSS the process ever had */
  peakRssMiB: number;
}

/** RSS and its high-water mark from /proc/<pid>/status. */
export async function readMemory(pid: number): Promise<Memory> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const m = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
    return Number(m[1]) / 1024;
  };
  return { rssMiB: kb('VmRSS'), peakRssMiB: kb('VmHWM') };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
