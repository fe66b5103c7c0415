import net from 'node:net';
import { afterEach } from 'vitest';

/** One accepted connection, driven step by step by a test's script. */
export interface Conversation {
  socket: net.Socket;
  /** Resolves with exactly n bytes from the client; rejects if it closes first. */
  read(n: number): Promise<Buffer>;
  /** Reads until `marker` (inclusive) appears, e.g. the end of an HTTP request head. */
  readUntil(marker: string): Promise<Buffer>;
  /** Everything the client sent so far. */
  received(): Buffer;
}

export interface ScriptedServer {
  port: number;
  /** One entry per accepted connection. */
  conversations: Conversation[];
  close(): Promise<void>;
}

/**
 * A hand-made upstream on 127.0.0.1:0 that plays `script` on every connection: the bad servers
 * (garbage, truncated, silent) and the byte-exact checks no reference server gives us.
 */
export async function startScriptedServer(script: (c: Conversation) => Promise<void> | void): Promise<ScriptedServer> {
  const conversations: Conversation[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let all = Buffer.alloc(0);
    let consumed = 0;
    let closed = false;
    let wake: (() => void) | undefined;
    socket.on('data', (d: Buffer) => {
      all = Buffer.concat([all, d]);
      wake?.();
    });
    socket.on('close', () => {
      closed = true;
      wake?.();
    });
    const waitFor = async <T>(ready: () => T | undefined): Promise<T> => {
      for (;;) {
        const value = ready();
        if (value !== undefined) return value;
        if (closed) throw new Error('client closed');
        await new Promise<void>((r) => (wake = r));
      }
    };
    const c: Conversation = {
      socket,
      read: (n) =>
        waitFor(() => {
          if (all.length - consumed < n) return undefined;
          consumed += n;
          return all.subarray(consumed - n, consumed);
        }),
      readUntil: (marker) =>
        waitFor(() => {
          const at = all.indexOf(marker, consumed);
          if (at < 0) return undefined;
          const out = all.subarray(consumed, at + marker.length);
          consumed = at + marker.length;
          return out;
        }),
      received: () => all,
    };
    conversations.push(c);
    Promise.resolve()
      .then(() => script(c))
      .catch(() => socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    conversations,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * A `serve(script)` for one test file: every server it starts is closed after each test, so a test can
 * start as many as it needs and never leaks one when it fails.
 */
export function useScriptedServers(): (script: (c: Conversation) => Promise<void> | void) => Promise<ScriptedServer> {
  let servers: ScriptedServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
  });
  return async (script) => {
    const s = await startScriptedServer(script);
    servers.push(s);
    return s;
  };
}
