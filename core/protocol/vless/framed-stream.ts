import net from 'node:net';
import { Duplex } from 'node:stream';
import { ProxyError, attributeError } from '../../adapter/errors.js';

/**
 * What a protocol does to the bytes of one connection. Shared by VLESS, VMess and Trojan, which differ
 * only in their header and framing: the request header rides in front of the first payload, the server's
 * answer (VLESS / VMess response header, VMess chunks) is unwrapped on the way back.
 */
export interface StreamCodec {
  /** Appends the wire form of `payload` to `out` (buffers are written in order, never concatenated on TCP/TLS). */
  encode(payload: readonly Buffer[], out: Buffer[]): void;
  /** Appends what closes our direction (VMess: the empty chunk); nothing for Trojan and VLESS. */
  finish(out: Buffer[]): void;
  /**
   * Takes bytes from the server and hands the payload in them to `push`. Returns true once the server has
   * signalled the end of its stream. Throws a ProxyError on bytes that do not parse or authenticate.
   */
  decode(data: Buffer, push: (payload: Buffer) => void): boolean;
  /** Whether the server has sent anything valid yet; a close before that means it refused our credentials. */
  readonly answered: boolean;
}

/** Like v2ray: wait this long for the first payload so header and payload leave in one packet. */
const FIRST_PAYLOAD_WAIT_MS = 100;

export function authFailedError(outbound: string): ProxyError {
  return new ProxyError('UPSTREAM_AUTH_FAILED', 'server closed the connection before answering — wrong uuid/password?', { outbound });
}

/**
 * The client side of a framed connection over a transport stream (TCP, TLS, WebSocket):
 *
 *   relay ⇄ FramedStream (codec: header, chunks) ⇄ transport ⇄ proxy server
 *
 * Writes are batched: on a socket the pieces of one write go out corked (one writev), on a WebSocket
 * they are joined into one message. Reads are handed on as they are decoded, with backpressure.
 */
export class FramedStream extends Duplex {
  private header: Buffer | undefined;
  private readonly headerTimer: NodeJS.Timeout;
  private readonly corkable: boolean;
  private eofPushed = false;
  private innerGone = false;

  constructor(
    private readonly inner: Duplex,
    private readonly codec: StreamCodec,
    header: Buffer,
    private readonly outbound: string,
  ) {
    super({ allowHalfOpen: true });
    this.header = header;
    this.corkable = inner instanceof net.Socket;
    // Server-speaks-first protocols still need the header when the client writes nothing.
    this.headerTimer = setTimeout(() => this.send(this.takeHeader(), () => {}), FIRST_PAYLOAD_WAIT_MS);
    this.headerTimer.unref();
    inner.on('data', this.onData);
    inner.on('end', this.onEnd);
    inner.on('error', this.onError);
    inner.on('close', this.onClose);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    this._writev([{ chunk }], cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    if (this.innerGone) return cb(new ProxyError('UPSTREAM_CLOSED', 'server closed the connection', { outbound: this.outbound }));
    const out = this.takeHeader();
    try {
      this.codec.encode(
        chunks.map((c) => c.chunk),
        out,
      );
    } catch (err) {
      return cb(attributeError(err, this.outbound));
    }
    this.send(out, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.innerGone) return cb();
    const out = this.takeHeader();
    this.codec.finish(out);
    this.send(out, () => {
      this.inner.end();
      cb();
    });
  }

  override _read(): void {
    if (this.inner.isPaused()) this.inner.resume();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    clearTimeout(this.headerTimer);
    this.inner.destroy();
    cb(err);
  }

  private takeHeader(): Buffer[] {
    if (!this.header) return [];
    clearTimeout(this.headerTimer);
    const out = [this.header];
    this.header = undefined;
    return out;
  }

  private send(out: Buffer[], cb: () => void): void {
    if (out.length === 0 || this.inner.destroyed) return cb();
    let flowing = true;
    if (this.corkable) {
      this.inner.cork();
      for (const b of out) flowing = this.inner.write(b);
      this.inner.uncork();
    } else {
      flowing = this.inner.write(out.length === 1 ? out[0] : Buffer.concat(out));
    }
    if (flowing) cb();
    else this.inner.once('drain', cb);
  }

  /** Payload decoded from one read, handed on together (see flushDecoded). */
  private decoded: Buffer[] = [];
  private readonly collect = (payload: Buffer): void => {
    this.decoded.push(payload);
  };

  private readonly onData = (data: Buffer): void => {
    if (this.eofPushed || this.destroyed) return;
    let ended: boolean;
    try {
      ended = this.codec.decode(data, this.collect);
    } catch (err) {
      this.flushDecoded();
      this.destroy(attributeError(err, this.outbound));
      return;
    }
    this.flushDecoded();
    if (ended) this.endReadable();
  };

  /**
   * Pushes what one read decoded as one buffer: a read holds many small chunks (v2ray sends ~2 KiB ones),
   * and a push per chunk became a write per chunk on the client's socket, costing more than this copy.
   */
  private flushDecoded(): void {
    const pieces = this.decoded;
    if (pieces.length === 0) return;
    this.decoded = [];
    if (!this.push(pieces.length === 1 ? pieces[0] : Buffer.concat(pieces))) this.inner.pause();
  }

  private readonly onEnd = (): void => {
    // A WebSocket has no half-close: its end is the end of the whole connection.
    if (!this.corkable) this.innerGone = true;
    if (this.eofPushed) return;
    if (!this.codec.answered) this.destroy(authFailedError(this.outbound));
    else this.endReadable();
  };

  private readonly onError = (err: Error): void => {
    const mapped = attributeError(err, this.outbound);
    // A reset before any answer is the same refusal as a close (v2ray resets when it stops draining a bad header).
    this.destroy(mapped.code === 'UPSTREAM_CLOSED' && !this.codec.answered ? authFailedError(this.outbound) : mapped);
  };

  private readonly onClose = (): void => {
    this.innerGone = true;
    if (this.destroyed || this.eofPushed) return; // reading is done; payload already pushed still reaches the consumer
    this.destroy(
      this.codec.answered
        ? new ProxyError('UPSTREAM_CLOSED', 'server closed the connection', { outbound: this.outbound })
        : authFailedError(this.outbound),
    );
  };

  private endReadable(): void {
    this.eofPushed = true;
    this.push(null);
  }
}
