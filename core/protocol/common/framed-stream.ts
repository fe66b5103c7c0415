import net from 'node:net';
import { Duplex } from 'node:stream';
import { ProxyError, attributeError } from '../../adapter/errors.js';
import { TAKE_READS, takeReads, type ReadSink, type ReadTaker } from '../../transport/tcp.js';

/**
 * What a protocol does to the bytes of one connection: VLESS, VMess, Trojan, Shadowsocks and the obfs
 * disguises under it differ only in their header and framing. The request header rides in front of the
 * first payload, the server's answer (response headers, chunks, records) is unwrapped on the way back.
 */
export interface StreamCodec {
  /** Appends the wire form of `payload` to `out` (buffers are written in order, never concatenated on TCP/TLS). */
  encode(payload: readonly Buffer[], out: Buffer[]): void;
  /** Appends what closes our direction (VMess: the empty chunk); nothing for Trojan and VLESS. */
  finish(out: Buffer[]): void;
  /**
   * For codecs whose encode() puts the header inside the first payload's frame (Shadowsocks seals the target
   * address into the first chunk): appends the header on its own, for when the client writes nothing within
   * FIRST_PAYLOAD_WAIT_MS or ends first. The others pass their header to FramedStream instead.
   */
  encodeHeaderAlone?(out: Buffer[]): void;
  /**
   * Takes bytes from the server and hands the payload in them to `push`. Returns true once the server has
   * signalled the end of its stream. Throws a ProxyError on bytes that do not parse or authenticate.
   */
  decode(data: Buffer, push: (payload: Buffer) => void, borrowed?: boolean): boolean;
  /**
   * True when decode(data, push, true) copies whatever it keeps of `data` past the call, and pushes only
   * buffers of its own: then the stream reads the socket into a reused buffer (takeReads), with fewer,
   * larger reads and no stream machinery on the socket's side. VMess with a cipher decrypts into new
   * buffers; VLESS and Trojan hand on views of the read, so they keep Node's 'data' path.
   */
  readonly decodesBorrowedReads?: boolean;
  /**
   * From now on the buffers decode() pushes may be reused at the next decode(): whoever takes them is done
   * with them by then (FramedStream's read sink, see TAKE_READS). Saves an allocation per read.
   */
  reuseOutput?(): void;
  /** Whether the server has sent anything valid yet; a close before that means it refused our credentials. */
  readonly answered: boolean;
  /**
   * The error to fail the stream with, in the codec's own words, when the default (defaultFailure) does not
   * fit; undefined keeps the default. For an `end`, undefined from a codec that has this hook is a clean end.
   */
  failure?(reason: FramedFailure): Error | undefined;
}

/** Why a FramedStream is failing, for the codec to word (StreamCodec.failure). */
export type FramedFailure =
  | { kind: 'end' } // the stream below ended: clean, or inside a frame, or before any answer
  | { kind: 'closed' } // the stream below closed without an orderly end
  | { kind: 'socket'; error: Error } // the stream below failed
  | { kind: 'decode'; error: unknown }; // decode() threw

/** Like v2ray: wait this long for the first payload so header and payload leave in one packet. */
const FIRST_PAYLOAD_WAIT_MS = 100;
/**
 * Decoded payload is joined and pushed in pieces of about this size: borrowed reads run to 1 MiB, and
 * joining ~2 KiB chunks just decrypted while they are still in cache is cheaper than one 1 MiB copy.
 */
const PUSH_BYTES = 64 * 1024;

export function authFailedError(outbound: string): ProxyError {
  return new ProxyError('UPSTREAM_AUTH_FAILED', 'server closed the connection before answering — wrong uuid/password?', { outbound });
}

/**
 * VLESS, VMess and Trojan: a close or reset before the server answered means it refused our credentials; an
 * end after the answer is clean; anything else keeps its own code.
 */
export function defaultFailure(reason: FramedFailure, answered: boolean, outbound: string): Error | undefined {
  switch (reason.kind) {
    case 'end':
      return answered ? undefined : authFailedError(outbound);
    case 'closed':
      return answered ? new ProxyError('UPSTREAM_CLOSED', 'server closed the connection', { outbound }) : authFailedError(outbound);
    case 'socket': {
      const mapped = attributeError(reason.error, outbound);
      // A reset before any answer is the same refusal as a close (v2ray resets when it stops draining a bad header).
      return mapped.code === 'UPSTREAM_CLOSED' && !answered ? authFailedError(outbound) : mapped;
    }
    case 'decode':
      return attributeError(reason.error, outbound);
  }
}

/**
 * The client side of a framed connection over a transport stream (TCP, TLS, WebSocket), or over another
 * FramedStream (Shadowsocks over obfs):
 *
 *   relay ⇄ FramedStream (codec: header, chunks) ⇄ transport ⇄ proxy server
 *
 * Writes are batched: on a socket the pieces of one write go out corked (one writev), on anything else
 * they are joined into one write. Reads are handed on as they are decoded, with backpressure.
 */
export class FramedStream extends Duplex implements ReadTaker {
  private header: Buffer | undefined;
  /** The header has not left yet (it waits for the first write, the timer or the end). */
  private headerDue: boolean;
  private readonly headerTimer: NodeJS.Timeout | undefined;
  private readonly corkable: boolean;
  private eofPushed = false;
  private innerGone = false;
  /** Reads come through takeReads into a reused buffer; reading stops by the sink's false, not pause(). */
  private borrowing = false;
  /** The sink said false: the socket waits for inner.resume() from _read. */
  private readsHeld = false;
  /** Who took our decoded payload (the relay, through takeReads), in place of the readable side. */
  private sink?: ReadSink;

  /**
   * `header` leaves in front of the first payload; undefined when the codec encodes its own (Shadowsocks,
   * see encodeHeaderAlone) or has none (obfs, whose first write is the layer above's header).
   */
  constructor(
    private readonly inner: Duplex,
    private readonly codec: StreamCodec,
    header: Buffer | undefined,
    private readonly outbound: string,
  ) {
    super({ allowHalfOpen: true });
    this.header = header;
    this.headerDue = header !== undefined || codec.encodeHeaderAlone !== undefined;
    this.corkable = inner instanceof net.Socket;
    if (this.headerDue) {
      // Server-speaks-first protocols still need the header when the client writes nothing.
      this.headerTimer = setTimeout(() => this.send(this.headerAlone(), () => {}), FIRST_PAYLOAD_WAIT_MS);
      this.headerTimer.unref();
    }
    if (codec.decodesBorrowedReads) this.borrowing = takeReads(inner, this.onBorrowedRead);
    if (!this.borrowing) inner.on('data', this.onData);
    inner.on('end', this.onEnd);
    inner.on('error', this.onError);
    inner.on('close', this.onClose);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    this._writev([{ chunk }], cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    if (this.innerGone) return cb(this.failure({ kind: 'closed' }));
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
    const out = this.headerAlone();
    this.codec.finish(out);
    this.send(out, () => {
      this.inner.end();
      cb();
    });
  }

  /**
   * Decoded payload goes to `sink` from now on, as a directReads socket's reads do (core/transport/tcp.ts):
   * a buffer stays valid until the sink returns true, or after false until resume(). Only where the codec
   * decodes borrowed reads (VMess with a cipher on plain TCP): then neither side of us copies or buffers.
   */
  [TAKE_READS](sink: ReadSink): boolean {
    if (!this.borrowing || this.sink) return false;
    let more = true;
    for (let chunk: Buffer | null; (chunk = this.read() as Buffer | null) !== null; ) more = sink(chunk);
    this.sink = sink;
    this.codec.reuseOutput?.();
    // Flowing with nothing buffered, so push(null) at the end still emits 'end'.
    super.resume();
    if (!more) this.readsHeld = true;
    return true;
  }

  /** With a sink, what restarts reading after the sink said false (as net.Socket's resume does for onread). */
  override resume(): this {
    if (this.sink && this.readsHeld && !this.destroyed) {
      this.readsHeld = false;
      this.inner.resume();
    }
    return super.resume();
  }

  override _read(): void {
    // With a sink only resume() restarts reading: the sink may still hold the last buffers we gave it.
    if (this.sink) return;
    if (this.borrowing) {
      if (!this.readsHeld) return;
      this.readsHeld = false;
      this.inner.resume();
    } else if (this.inner.isPaused()) this.inner.resume();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    clearTimeout(this.headerTimer);
    this.inner.destroy();
    cb(err);
  }

  /** The header for the first write, which carries payload too (the codec's own header is in its encode()). */
  private takeHeader(): Buffer[] {
    if (!this.headerDue) return [];
    this.headerDue = false;
    clearTimeout(this.headerTimer);
    const out = this.header ? [this.header] : [];
    this.header = undefined;
    return out;
  }

  /** The header when no payload follows it: ours, or the codec's own. */
  private headerAlone(): Buffer[] {
    const due = this.headerDue;
    const out = this.takeHeader();
    if (due) this.codec.encodeHeaderAlone?.(out);
    return out;
  }

  /** The codec's words for a failure, else the VLESS/VMess/Trojan ones; undefined only for a clean end. */
  private failure(reason: FramedFailure): Error | undefined {
    if (this.codec.failure) {
      const own = this.codec.failure(reason);
      if (own || reason.kind === 'end') return own;
    }
    return defaultFailure(reason, this.codec.answered, this.outbound);
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
  private decodedBytes = 0;
  /** A push during the current read returned false. */
  private pushRefused = false;
  private readonly collect = (payload: Buffer): void => {
    this.decoded.push(payload);
    this.decodedBytes += payload.length;
    if (this.decodedBytes >= PUSH_BYTES) this.flushDecoded();
  };

  private readonly onData = (data: Buffer): void => {
    if (!this.decodeRead(data, false)) this.inner.pause();
  };

  /** A takeReads sink: `data` is reused after this returns true (or after the resume that follows false). */
  private readonly onBorrowedRead = (data: Buffer): boolean => {
    if (this.decodeRead(data, true)) return true;
    this.readsHeld = true;
    return false;
  };

  /** Decodes one read and pushes its payload; false when the consumer wants no more for now. */
  private decodeRead(data: Buffer, borrowed: boolean): boolean {
    if (this.eofPushed || this.destroyed) return true;
    let ended: boolean;
    this.pushRefused = false;
    try {
      ended = this.codec.decode(data, this.collect, borrowed);
    } catch (error) {
      this.flushDecoded(); // what authenticated before the bad frame
      this.destroy(this.failure({ kind: 'decode', error }));
      return true;
    }
    this.flushDecoded();
    if (ended) this.endReadable();
    return !this.pushRefused;
  }

  /**
   * Pushes decoded payload joined into one buffer per read, or per PUSH_BYTES of a larger read: a read
   * holds many small chunks (v2ray sends ~2 KiB ones), and a push per chunk became a write per chunk on
   * the client's socket, costing more than this copy.
   */
  private flushDecoded(): void {
    const pieces = this.decoded;
    if (pieces.length === 0) return;
    this.decoded = [];
    this.decodedBytes = 0;
    const payload = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
    if (!(this.sink ? this.sink(payload) : this.push(payload))) this.pushRefused = true;
  }

  private readonly onEnd = (): void => {
    // A WebSocket has no half-close: its end is the end of the whole connection.
    if (!this.corkable) this.innerGone = true;
    if (this.eofPushed || this.destroyed) return;
    const failed = this.failure({ kind: 'end' });
    if (failed) this.destroy(failed);
    else this.endReadable();
  };

  private readonly onError = (error: Error): void => {
    if (!this.destroyed) this.destroy(this.failure({ kind: 'socket', error }));
  };

  private readonly onClose = (): void => {
    this.innerGone = true;
    if (this.destroyed || this.eofPushed) return; // reading is done; payload already pushed still reaches the consumer
    this.destroy(this.failure({ kind: 'closed' }));
  };

  private endReadable(): void {
    this.eofPushed = true;
    this.push(null);
  }
}
