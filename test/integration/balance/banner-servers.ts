import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Outbound } from '../../../core/adapter/outbound.js';
import { createDirect } from '../../../core/protocol/direct/index.js';

/**
 * A loopback TCP server that greets every connection with its own name and keeps it open until the
 * client ends, so a test can see which member carried a connection and hold connections open.
 */
export class BannerServer {
  port = 0;
  accepted = 0;
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(readonly name: string) {}

  /** Listens on an ephemeral port the first time, on the same port after stop(). */
  async start(): Promise<this> {
    const server = net.createServer((socket) => {
      this.accepted++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => socket.destroy());
      socket.on('end', () => socket.end());
      socket.write(`${this.name}\n`);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Closes the listener and every open connection, so the port refuses. */
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A pool member for tests: the real direct outbound, aimed at its own server whatever the destination. */
export function memberFor(server: BannerServer): Outbound & { dials: number } {
  const direct = createDirect(server.name);
  const member = {
    name: server.name,
    type: 'test-server',
    dials: 0,
    dial: (_destination: unknown, ctx: Parameters<Outbound['dial']>[1]) => {
      member.dials++;
      return direct.dial({ host: '127.0.0.1', port: server.port }, ctx);
    },
  };
  return member;
}

/** The first line the server sent: the name of the member that carried the connection. */
export function readBanner(stream: Duplex): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      stream.off('data', onData);
      stream.off('error', reject);
      stream.pause();
      resolve(text.slice(0, nl));
    };
    stream.on('data', onData);
    stream.once('error', reject);
  });
}

/**
 * Waits for a stream's 'close' event (bounded, so a leak fails the test instead of hanging it). Call it
 * before the event can have fired: `closed` turns true a tick before 'close' is emitted, so it is no guide.
 */
export function closed(stream: Duplex, timeoutMs = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('stream did not close')), timeoutMs);
    stream.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
