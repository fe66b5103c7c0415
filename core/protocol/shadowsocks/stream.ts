import { Duplex } from 'node:stream';
import { ProxyError, fromSocketError } from '../../adapter/errors.js';
import { ByteQueue } from './byte-queue.js';
import { FrameError, type RequestEncoder, type ResponseDecoder } from './framing.js';

/** Read-side buffer before we stop reading the transport; a few full chunks. */
const HIGH_WATER_MARK = 64 * 1024;

export interface ShadowsocksStreamOptions {
  encoder: RequestEncoder;
  decoder: ResponseDecoder;
  /** Salt and header chunk(s), written at once so the first packet's size reveals nothing extra. */
  header: Buffer;
  /** Outbound name for errors. */
  outbound: string;
  /** `server:port`, for messages. */
  server: string;
}

/**
 * The plaintext side of a Shadowsocks connection over any byte pipe (tcp, tls, ws):
 *
 *   caller ⇄ ShadowsocksStream ⇄ (encrypted chunks) ⇄ transport ⇄ ss server ⇄ target
 *
 * Writes are batched into chunks of at most the method's payload cap; reads keep the received buffers in a
 * list and decrypt each chunk from views into them. Backpressure runs both ways (our readable buffer full →
 * transport paused; transport buffer full → our write callback waits for 'drain'); end → end; destroy or
 * error on either side destroys the other.
 *
 * SS has no server handshake, so a wrong key shows up only as the server closing or sending garbage: an end
 * before any chunk authenticated, or a first chunk that fails authentication, becomes UPSTREAM_AUTH_FAILED.
 */
export class ShadowsocksStream extends Duplex {
  private readonly queue = new ByteQueue();
  private readonly inner: Duplex;
  private readonly opts: ShadowsocksStreamOptions;
  /** The transport is paused because our readable side is full. */
  private stalled = false;
  private remoteEnded = false;
  private decoding = false;

  constructor(inner: Duplex, opts: ShadowsocksStreamOptions) {
    super({ allowHalfOpen: true, readableHighWaterMark: HIGH_WATER_MARK, writableHighWaterMark: HIGH_WATER_MARK });
    this.inner = inner;
    this.opts = opts;
    inner.on('data', this.onData);
    inner.on('end', this.onEnd);
    inner.on('error', this.onError);
    inner.on('close', this.onClose);
    inner.write(opts.header);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeWire([chunk], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.writeWire(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.inner.destroyed) this.inner.end();
    callback();
  }

  override _read(): void {
    if (!this.stalled) return;
    this.stalled = false;
    this.drain();
    if (!this.stalled && !this.remoteEnded) this.inner.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.queue.clear();
    this.inner.destroy();
    callback(error);
  }

  private writeWire(payload: Buffer[], callback: (error?: Error | null) => void): void {
    if (this.inner.destroyed) {
      callback(this.error('UPSTREAM_CLOSED', `shadowsocks server ${this.opts.server} connection is closed`));
      return;
    }
    const out: Buffer[] = [];
    this.opts.encoder.encode(payload, out);
    // One buffer per write: a memcpy is cheaper than the stream bookkeeping of many small writes.
    if (this.inner.write(out.length === 1 ? out[0] : Buffer.concat(out))) callback();
    else this.inner.once('drain', () => callback());
  }

  private readonly onData = (b: Buffer): void => {
    this.queue.push(b);
    if (!this.stalled) this.drain();
  };

  /** Decrypts what is queued, pushing payload until our reader is full. */
  private drain(): void {
    if (this.decoding || this.destroyed) return;
    this.decoding = true;
    try {
      const wantsMore = this.opts.decoder.decode(this.queue, (pieces) => {
        let ok = true;
        for (const p of pieces) ok = this.push(p);
        return ok;
      });
      if (!wantsMore) {
        this.stalled = true;
        this.inner.pause();
      } else if (this.remoteEnded) {
        this.finishReading();
      }
    } catch (err) {
      this.destroy(this.frameFailure(err));
    } finally {
      this.decoding = false;
    }
  }

  private readonly onEnd = (): void => {
    this.remoteEnded = true;
    if (!this.stalled) this.drain();
  };

  /** The server sent FIN and every complete chunk was decoded. */
  private finishReading(): void {
    if (this.opts.decoder.atChunkBoundary(this.queue)) {
      this.push(null);
      return;
    }
    this.destroy(
      this.opts.decoder.authenticated
        ? this.error('UPSTREAM_CLOSED', `shadowsocks server ${this.opts.server} closed the connection in the middle of a chunk`)
        : this.authFailure(`shadowsocks server ${this.opts.server} closed the connection without sending a valid chunk`, undefined, true),
    );
  }

  private readonly onError = (err: NodeJS.ErrnoException): void => {
    if (this.destroyed) return;
    const reset = err.code === 'ECONNRESET' || err.code === 'EPIPE';
    if (reset && !this.opts.decoder.authenticated) {
      this.destroy(this.authFailure(`shadowsocks server ${this.opts.server} reset the connection before sending a valid chunk`, err));
      return;
    }
    const e = fromSocketError(err, `shadowsocks server ${this.opts.server}`, this.opts.outbound);
    this.destroy(e.outbound ? e : this.error(e.code, e.message, err));
  };

  private readonly onClose = (): void => {
    // After an orderly end the queued payload is still delivered; later writes fail in writeWire.
    if (this.destroyed || this.remoteEnded) return;
    // The transport went away without an orderly end of its read side (destroyed below us).
    this.destroy(
      this.opts.decoder.authenticated
        ? this.error('UPSTREAM_CLOSED', `shadowsocks server ${this.opts.server} connection closed`)
        : this.authFailure(`shadowsocks server ${this.opts.server} connection closed before a valid chunk arrived`),
    );
  };

  private frameFailure(err: unknown): ProxyError {
    if (!(err instanceof FrameError)) return this.error('INTERNAL', `shadowsocks decode: ${(err as Error).message}`, err);
    if (err.reason === 'auth' && !this.opts.decoder.authenticated) {
      return this.authFailure(`shadowsocks server ${this.opts.server}: ${err.message}`, err);
    }
    return this.error('UPSTREAM_PROTOCOL', `shadowsocks server ${this.opts.server}: ${err.message}`, err);
  }

  /** `silentClose`: the server may also just have had nothing to say (target refused or answered nothing). */
  private authFailure(what: string, cause?: unknown, silentClose = false): ProxyError {
    const hint = silentClose ? 'wrong password or cipher? or the target closed without answering' : 'wrong password or cipher?';
    return this.error('UPSTREAM_AUTH_FAILED', `${what} (${hint})`, cause);
  }

  private error(code: ProxyError['code'], message: string, cause?: unknown): ProxyError {
    return new ProxyError(code, message, { outbound: this.opts.outbound, cause });
  }
}
