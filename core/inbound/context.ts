import type { Socket } from 'node:net';
import type { Dispatcher } from '../adapter/dispatcher.js';
import type { ConnectionMeta } from '../adapter/outbound.js';
import { ProxyError } from '../adapter/errors.js';
import { newConnectionId } from '../route/dispatcher.js';
import type { Logger } from '../logger.js';
import type { Credentials } from './credentials.js';

export type InboundName = 'socks5' | 'socks4' | 'http-connect' | 'http';

/** What each protocol handler of the mixed listener needs from it. */
export interface InboundContext {
  readonly dispatcher: Dispatcher;
  /** Undefined when no authentication is configured. */
  readonly credentials: Credentials | undefined;
  readonly logger: Logger;
  /** The client sent a complete request: stop its handshake timer. */
  handshakeDone(socket: Socket): void;
  /**
   * Sends the last answer (if any) and closes. Input still arriving is drained rather than left unread,
   * because closing a socket with unread input sends a reset that can overtake the answer.
   */
  closeClient(socket: Socket, answer?: Buffer | string): void;
}

export function newMeta(inbound: InboundName, socket: Socket, host: string, port: number): ConnectionMeta {
  return {
    id: newConnectionId(),
    network: 'tcp',
    inbound,
    source: { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
    destination: { host, port },
    startedAt: Date.now(),
  };
}

/** How one protocol says "connected" and "failed" to its client. */
export interface TunnelAnswers {
  readonly success: Buffer;
  failure(err: ProxyError | undefined): Buffer | string;
}

/**
 * The end of every tunnel handshake (SOCKS5, SOCKS4, HTTP CONNECT):
 *
 *   client → mixed inbound → dispatcher (rules → outbound.dial) → answer → relay (counts bytes)
 *
 * The caller has paused the socket and put back any bytes the client sent past its request; the relay
 * picks them up first. Resolves when the relay ends; never rejects.
 */
export async function openTunnel(ctx: InboundContext, socket: Socket, meta: ConnectionMeta, answers: TunnelAnswers): Promise<void> {
  let opened;
  try {
    opened = await ctx.dispatcher.open(meta);
  } catch (err) {
    const proxyErr = err instanceof ProxyError ? err : undefined;
    if (!proxyErr) ctx.logger.warn({ id: meta.id, err: (err as Error)?.message }, 'dispatch failed unexpectedly');
    ctx.closeClient(socket, answers.failure(proxyErr));
    return;
  }
  // A client that left while we dialled is seen by the relay, which then closes the upstream too.
  if (socket.writable) socket.write(answers.success);
  const done = opened.relay(socket);
  socket.resume();
  await done;
}
