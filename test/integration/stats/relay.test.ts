import crypto from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionMeta } from '../../../core/adapter/outbound.js';
import { relay } from '../../../core/stats/relay.js';
import { ConnectionTracker, type TrackedConnection } from '../../../core/stats/tracker.js';
import { TrafficStats } from '../../../core/stats/traffic.js';
import { connectTcp, takeReads } from '../../../core/transport/tcp.js';

/**
 * relay() between a real client socket and a real upstream socket, with the upstream opened as DIRECT opens
 * it (directReads: relay takes its reads from reused buffers) and as a plain socket. The origin and the
 * client are real loopback peers; data is random so a reused buffer overwritten too early shows as a
 * wrong hash.
 */

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

type OnOrigin = (socket: net.Socket) => void;

async function listen(onConnection: OnOrigin, allowHalfOpen = true): Promise<number> {
  const server = net.createServer({ allowHalfOpen }, (s) => {
    s.on('error', () => {});
    onConnection(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

interface Tunnel {
  /** The test's end: what a proxy client would hold. */
  client: net.Socket;
  /** The relay's client side: the socket the proxy accepted. */
  front: net.Socket;
  upstream: net.Socket;
  tracked: TrackedConnection;
  done: Promise<void>;
}

let nextId = 0;
/** client ⇄ (accepted socket) relay (upstream socket) ⇄ origin; `beforeRelay` runs between dial and relay. */
async function tunnel(originPort: number, directReads: boolean, beforeRelay?: () => Promise<void>): Promise<Tunnel> {
  let accepted!: (s: net.Socket) => void;
  const acceptedSocket = new Promise<net.Socket>((r) => (accepted = r));
  const frontPort = await listen(accepted);
  const client = net.connect({ host: '127.0.0.1', port: frontPort, allowHalfOpen: true });
  client.on('error', () => {});
  closers.push(() => client.destroy());
  const front = await acceptedSocket;
  front.pause();
  const upstream = await connectTcp({ host: '127.0.0.1', port: originPort }, { directReads });
  upstream.on('error', () => {});
  closers.push(() => upstream.destroy());
  await beforeRelay?.();
  const meta: ConnectionMeta = {
    id: `t${nextId++}`,
    network: 'tcp',
    inbound: 'socks5',
    source: { address: '127.0.0.1', port: 0 },
    destination: { host: '127.0.0.1', port: originPort },
    startedAt: Date.now(),
  };
  const tracked = new ConnectionTracker(new TrafficStats()).track(meta, ['DIRECT'], () => {});
  const done = relay(front, upstream, tracked);
  front.resume();
  return { client, front, upstream, tracked, done };
}

/** Sends `data` in pieces of random size (1 byte to `maxPiece`), now and then after a pause, then ends. */
async function sendInPieces(socket: net.Socket, data: Buffer, maxPiece: number, pauseEvery = 8): Promise<void> {
  let at = 0;
  let n = 0;
  while (at < data.length) {
    const size = Math.min(data.length - at, 1 + crypto.randomInt(maxPiece));
    if (!socket.write(data.subarray(at, at + size))) await new Promise((r) => socket.once('drain', r));
    at += size;
    if (++n % pauseEvery === 0) await new Promise((r) => setTimeout(r, 1));
  }
  socket.end();
}

/** Reads to the end, pausing `pauseMs` after every `pauseEvery` bytes so the relay meets backpressure. */
function readAll(socket: net.Socket, pauseEvery = Infinity, pauseMs = 0): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let sincePause = 0;
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      sincePause += c.length;
      if (sincePause >= pauseEvery) {
        sincePause = 0;
        socket.pause();
        setTimeout(() => socket.resume(), pauseMs);
      }
    });
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

describe.each([
  { directReads: true, name: 'a directReads upstream (DIRECT)' },
  { directReads: false, name: 'a plain upstream socket' },
])('relay with $name', ({ directReads }) => {
  it('carries 24 MiB downstream intact to a client that keeps stopping to read, counting every byte', async () => {
    const data = crypto.randomBytes(24 * 1024 * 1024);
    const port = await listen((s) => s.end(data));
    const t = await tunnel(port, directReads);
    const received = await readAll(t.client, 1024 * 1024, 5);
    t.client.end();
    await t.done;
    expect(received.length).toBe(data.length);
    expect(sha(received)).toBe(sha(data));
    expect(t.tracked.down).toBe(data.length);
    expect(t.tracked.isClosed).toBe(true);
  }, 30_000);

  it('keeps 24 parallel tunnels apart while small and bulk reads alternate and clients read at their own pace', async () => {
    const payloads = Array.from({ length: 24 }, (_, i) => crypto.randomBytes(256 * 1024 + i * 7919));
    let next = 0;
    const port = await listen((s) => {
      const which = next++;
      // The first byte says which payload this is, so each client can check its own.
      s.write(Buffer.from([which]));
      void sendInPieces(s, payloads[which]!, 40_000);
    });
    const tunnels: Tunnel[] = [];
    for (let i = 0; i < payloads.length; i++) tunnels.push(await tunnel(port, directReads));
    const results = await Promise.all(tunnels.map((t, i) => readAll(t.client, 64 * 1024 * (1 + (i % 3)), i % 4)));
    for (const [i, received] of results.entries()) {
      const which = received[0]!;
      expect(sha(received.subarray(1)), `tunnel ${i} (payload ${which})`).toBe(sha(payloads[which]!));
    }
    for (const t of tunnels) t.client.end();
    await Promise.all(tunnels.map((t) => t.done));
  }, 30_000);

  it('delivers what the origin sent, and its FIN, before the relay began', async () => {
    const port = await listen((s) => s.end('220 hello\r\n'));
    const t = await tunnel(port, directReads, () => new Promise((r) => setTimeout(r, 100)));
    expect((await readAll(t.client)).toString()).toBe('220 hello\r\n');
    t.client.end();
    await t.done;
    expect(t.tracked.down).toBe(11);
  });

  it('half-closes both ways: the reply sent after the client finished still arrives', async () => {
    const port = await listen((s) => {
      const got: Buffer[] = [];
      s.on('data', (c: Buffer) => got.push(c));
      s.once('end', () => setTimeout(() => s.end(`got ${Buffer.concat(got).length} bytes`), 50));
    });
    const t = await tunnel(port, directReads);
    t.client.end(Buffer.alloc(100_000, 1));
    expect((await readAll(t.client)).toString()).toBe('got 100000 bytes');
    await t.done;
    expect(t.tracked.up).toBe(100_000);
    expect(t.tracked.down).toBe(16);
  });

  it('destroys the client side when the origin resets, and the upstream when the client resets', async () => {
    const port = await listen((s) => s.write('x', () => setTimeout(() => s.resetAndDestroy(), 20)));
    const t = await tunnel(port, directReads);
    t.client.resume();
    await t.done;
    expect(t.front.destroyed).toBe(true);
    expect(t.tracked.down).toBe(1);

    const port2 = await listen(() => {});
    const t2 = await tunnel(port2, directReads);
    t2.client.resetAndDestroy();
    await t2.done;
    expect(t2.upstream.destroyed).toBe(true);
  });
});

describe('connectTcp with directReads, read by something other than relay()', () => {
  it('is an ordinary stream: data events and end, the bytes intact', async () => {
    const data = crypto.randomBytes(3 * 1024 * 1024);
    const port = await listen((s) => void sendInPieces(s, data, 100_000));
    const socket = await connectTcp({ host: '127.0.0.1', port }, { directReads: true });
    closers.push(() => socket.destroy());
    expect(sha(await readAll(socket, 256 * 1024, 2))).toBe(sha(data));
  });

  it('takeReads refuses a socket not opened with directReads, and one already taken', async () => {
    const port = await listen(() => {});
    const plain = await connectTcp({ host: '127.0.0.1', port });
    const direct = await connectTcp({ host: '127.0.0.1', port }, { directReads: true });
    closers.push(() => plain.destroy(), () => direct.destroy());
    expect(takeReads(plain, () => true)).toBe(false);
    expect(takeReads(direct, () => true)).toBe(true);
    expect(takeReads(direct, () => true)).toBe(false);
  });
});
