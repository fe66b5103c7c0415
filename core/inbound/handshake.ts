import type { Socket } from 'node:net';
import type { InboundContext } from './context.js';

const EMPTY = Buffer.alloc(0);

/**
 * Collects a client's handshake bytes and hands them to a parser until a request is complete.
 * Subclasses parse from `buf` in `advance()` and call `consume`, `finish` or `fail`.
 */
export abstract class ClientHandshake {
  protected buf: Buffer;

  constructor(
    protected readonly ctx: InboundContext,
    protected readonly socket: Socket,
    first: Buffer,
  ) {
    this.buf = first;
  }

  start(): void {
    this.socket.on('data', this.onData);
    this.advance();
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    this.advance();
  };

  /** Parses what is buffered; returns when it needs more bytes, or after finish()/fail(). */
  protected abstract advance(): void;

  protected consume(n: number): void {
    this.buf = n >= this.buf.length ? EMPTY : this.buf.subarray(n);
  }

  /** The request is complete: stop reading; bytes the client already sent past it stay for the relay. */
  protected finish(): void {
    this.socket.off('data', this.onData);
    this.socket.pause();
    if (this.buf.length > 0) this.socket.unshift(this.buf);
    this.buf = EMPTY;
    this.ctx.handshakeDone(this.socket);
  }

  /** Answers (if there is an answer) and closes the client. */
  protected fail(answer?: Buffer): void {
    this.socket.off('data', this.onData);
    this.buf = EMPTY;
    this.ctx.closeClient(this.socket, answer);
  }
}
