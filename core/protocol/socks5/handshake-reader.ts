import type { Duplex } from 'node:stream';
import { ProxyError, fromSocketError } from '../../adapter/errors.js';

/**
 * Reads exact byte counts from a stream during a handshake, then hands the stream back untouched.
 *
 * It reads in paused mode ('readable' + read()), never flowing mode: once the 'readable' listener is gone
 * the stream returns to its initial state, so whoever takes it next starts it by attaching 'data' (or
 * piping) whenever it likes. Bytes that arrived after the handshake are unshifted, never lost, even when
 * the server speaks first (SSH, SMTP banners).
 */
export class HandshakeReader {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private pending?: { n: number; resolve: (b: Buffer) => void; reject: (e: ProxyError) => void };
  private failure?: ProxyError;
  private released = false;

  constructor(
    private readonly stream: Duplex,
    /** Says who closed or failed, e.g. `socks5 upstream 127.0.0.1:1080`. */
    private readonly peer: string,
  ) {
    stream.on('readable', this.onReadable);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
    stream.on('error', this.onError);
    // A stream that already holds data or ended before we looked would not signal again.
    if (stream.readableLength > 0) queueMicrotask(this.onReadable);
    if (stream.readableEnded || stream.destroyed) queueMicrotask(this.onEnd);
  }

  /** Resolves with exactly `n` bytes; rejects with UPSTREAM_CLOSED when the peer closes first. */
  read(n: number): Promise<Buffer> {
    if (this.pending) throw new Error('HandshakeReader.read called while a read is pending');
    if (this.bufferedBytes >= n) return Promise.resolve(this.take(n));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { n, resolve, reject };
    });
  }

  /** Rejects the pending read and every later one (timeout, abort). */
  fail(err: ProxyError): void {
    if (this.failure) return;
    this.failure = err;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(err);
  }

  /** Stops reading and puts back whatever arrived beyond the handshake. Listeners are removed. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.stream.off('readable', this.onReadable);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.stream.off('error', this.onError);
    if (this.bufferedBytes > 0) this.stream.unshift(Buffer.concat(this.buffered, this.bufferedBytes));
    this.buffered = [];
    this.bufferedBytes = 0;
  }

  private take(n: number): Buffer {
    const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered, this.bufferedBytes);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.buffered = rest.length > 0 ? [rest] : [];
    this.bufferedBytes = rest.length;
    return out;
  }

  private readonly onReadable = (): void => {
    if (this.released) return;
    let chunk: Buffer | null;
    while ((chunk = this.stream.read() as Buffer | null) !== null) {
      this.buffered.push(chunk);
      this.bufferedBytes += chunk.length;
    }
    const p = this.pending;
    if (p && this.bufferedBytes >= p.n) {
      this.pending = undefined;
      p.resolve(this.take(p.n));
    }
  };

  private readonly onEnd = (): void => {
    if (this.released) return;
    this.fail(new ProxyError('UPSTREAM_CLOSED', `${this.peer} closed the connection during the handshake`));
  };

  private readonly onError = (err: Error): void => {
    if (this.released) return;
    this.fail(fromSocketError(err, `${this.peer} failed during the handshake`));
  };
}
