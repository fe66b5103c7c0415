import type { Duplex } from 'node:stream';
import type { TrackedConnection } from './tracker.js';
import { takeReads } from '../transport/tcp.js';

/**
 * Copies bytes both ways until both sides are done, counting every chunk.
 *
 *   client ⇄ inbound ⇄ relay ⇄ outbound stream (direct socket, pool member, encrypted tunnel) ⇄ server
 *
 * Teardown is the same in both directions: when one side ends, end the other (half-close, so a reply
 * still in flight arrives); when one side errors or closes abruptly, destroy the other. Resolves once
 * both streams are closed; never rejects.
 */
export function relay(client: Duplex, upstream: Duplex, conn: TrackedConnection): Promise<void> {
  return new Promise((resolve) => {
    let open = 2;
    const closed = () => {
      if (--open === 0) {
        conn.finish();
        resolve();
      }
    };
    pump(client, upstream, (n) => conn.addUp(n));
    if (!pumpReads(upstream, client, conn)) pump(upstream, client, (n) => conn.addDown(n));
    const onError = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', onError);
    upstream.on('error', onError);
    client.once('close', () => {
      if (!upstream.writableEnded || !upstream.readableEnded) upstream.destroy();
      closed();
    });
    upstream.once('close', () => {
      if (!client.writableEnded || !client.readableEnded) client.destroy();
      closed();
    });
    // A stream that had already closed before relay started never emits 'close' again.
    if (client.closed) client.emit('close');
    if (upstream.closed) upstream.emit('close');
  });
}

/** One direction: data with backpressure, end → end. */
function pump(from: Duplex, to: Duplex, count: (n: number) => void): void {
  from.on('data', (chunk: Buffer) => {
    count(chunk.length);
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  const endOther = () => {
    if (!to.destroyed) to.end();
  };
  // A side that already ended before the relay began (a client that sent its request and FIN while we were
  // still routing) emits no second 'end': pass the FIN on now, once its buffered bytes have flowed.
  if (from.readableEnded) endOther();
  else from.once('end', endOther);
}

/**
 * Downstream from a socket whose reads can be taken directly (a DIRECT connection, core/transport/tcp.ts):
 * each read is written as is, and reading waits while anything is still unsent, because the next read may
 * reuse the chunk's memory. End and errors are handled as in pump().
 */
function pumpReads(from: Duplex, to: Duplex, conn: TrackedConnection): boolean {
  let waiting = false;
  const written = () => {
    if (waiting && to.writableLength === 0) {
      waiting = false;
      from.resume();
    }
  };
  const taken = takeReads(from, (chunk) => {
    conn.addDown(chunk.length);
    to.write(chunk, written);
    if (to.writableLength === 0) return true;
    waiting = true;
    return false;
  });
  if (!taken) return false;
  const endOther = () => {
    if (!to.destroyed) to.end();
  };
  if (from.readableEnded) endOther();
  else from.once('end', endOther);
  return true;
}
