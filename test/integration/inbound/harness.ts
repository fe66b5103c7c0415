import crypto from 'node:crypto';
import net from 'node:net';
import type { ConnectionMeta, Outbound } from '../../../core/adapter/outbound.js';
import { MixedInbound, type MixedInboundOptions } from '../../../core/inbound/index.js';
import { createDirect } from '../../../core/protocol/direct/index.js';
import { createReject } from '../../../core/protocol/reject/index.js';
import { RoutingDispatcher } from '../../../core/route/dispatcher.js';
import { ConnectionTracker } from '../../../core/stats/tracker.js';
import { TrafficStats } from '../../../core/stats/traffic.js';
import { curl as runCurl, type CurlResult } from '../../helpers/clients.js';

export { waitUntil } from '../../helpers/wait.js';
export type { CurlResult };

/**
 * A mixed inbound on an ephemeral loopback port, wired to the real RoutingDispatcher, tracker and stats.
 * The route sends everything to `outbound` (DIRECT unless a test switches it to REJECT) and records
 * every ConnectionMeta it was asked about.
 */
export interface InboundHarness {
  inbound: MixedInbound;
  port: number;
  proxy: string;
  stats: TrafficStats;
  tracker: ConnectionTracker;
  routed: ConnectionMeta[];
  outbound: Outbound;
  direct: Outbound;
  reject: Outbound;
  /** Makes the route answer after this many ms (a slow rule or dial), to test clients that leave meanwhile. */
  routeDelayMs: number;
  close(): Promise<void>;
}

export async function startInbound(options: MixedInboundOptions = {}): Promise<InboundHarness> {
  const stats = new TrafficStats();
  const tracker = new ConnectionTracker(stats);
  const direct = createDirect();
  const reject = createReject();
  const h = { stats, tracker, routed: [] as ConnectionMeta[], outbound: direct, direct, reject, routeDelayMs: 0 } as InboundHarness;
  const dispatcher = new RoutingDispatcher(async (meta) => {
    h.routed.push(meta);
    if (h.routeDelayMs > 0) await new Promise((r) => setTimeout(r, h.routeDelayMs));
    return { outbound: h.outbound, rule: 'MATCH', payload: '' };
  }, tracker);
  h.inbound = new MixedInbound(dispatcher, { host: '127.0.0.1', port: 0, handshakeTimeoutMs: 400, ...options });
  const bound = await h.inbound.start();
  h.port = bound.port;
  h.proxy = `127.0.0.1:${bound.port}`;
  h.close = () => h.inbound.close();
  return h;
}

/** curl with the inbound tests' 20 s limit, given in seconds as they write it. */
export const curl = (args: string[], timeoutSec = 20): Promise<CurlResult> => runCurl(args, timeoutSec * 1000);

/** A raw TCP client for handshake-level assertions: everything received, and when the server closed. */
export class RawClient {
  received = Buffer.alloc(0);
  readonly closed: Promise<void>;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.received = Buffer.concat([this.received, d]);
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    this.closed.then(() => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  write(data: Buffer | string): void {
    this.socket.write(data);
  }

  /** Resolves once `n` bytes in total have arrived (or the socket closed); rejects after timeoutMs. */
  async waitForBytes(n: number, timeoutMs = 3000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < n && !this.socket.destroyed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${n} bytes, got ${this.received.length} after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.received;
  }

  /** Resolves with the time it took the server to close the connection; rejects after timeoutMs. */
  async waitClosed(timeoutMs = 3000): Promise<number> {
    const start = Date.now();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closed,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`server did not close within ${timeoutMs} ms; got ${this.received.length} bytes`)), timeoutMs))),
    ]).finally(() => clearTimeout(timer));
    return Date.now() - start;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** SOCKS5 CONNECT request bytes for an IPv4 literal. */
export function socks5ConnectIPv4(ip: string, port: number, command = 0x01): Buffer {
  return Buffer.from([0x05, command, 0x00, 0x01, ...ip.split('.').map(Number), port >> 8, port & 0xff]);
}

export const SOCKS5_NO_AUTH_GREETING = Buffer.from([0x05, 0x01, 0x00]);

export function sha256(b: Buffer | string): string {
  return crypto.createHash('sha256').update(b).digest('hex');
}

/** Whether ::1 can be bound here (IPv6 may be disabled in the sandbox). */
export async function ipv6LoopbackAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(0, '::1', () => srv.close(() => resolve(true)));
  });
}
