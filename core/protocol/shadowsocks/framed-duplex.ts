import { Duplex } from 'node:stream';
import { ByteQueue } from '../common/byte-queue.js';

/** Read-side buffer before we stop reading the stream below; a few full chunks. */
const HIGH_WATER_MARK = 64 * 1024;

/** Why a FramedDuplex is failing, for the subclass to turn into its own error. */
export type FramedFailure =
  | { kind: 'decode'; error: unknown } // decode() threw
  | { kind: 'eof-mid-frame' } // the stream below ended inside a frame
  | { kind: 'closed' } // the stream below closed without an orderly end
  | { kind: 'socket'; error: NodeJS.ErrnoException }; // the stream below failed

/**
 * A Duplex that re-frames the byte stream below it (Shadowsocks chunks, obfs records):
 *
 *   caller ⇄ FramedDuplex (encode / decode) ⇄ inner stream (tcp, tls, ws or another FramedDuplex)
 *
 * Writes are handed to encode() in batches (_writev) and go below as one buffer; received bytes queue up as the
 * buffers they arrived in and decode() takes exactly what each frame needs. Backpressure runs both ways (our
 * readable buffer full → inner paused; inner buffer full → our write callback waits for 'drain'); end → end;
 * destroy or error on either side destroys the other.
 */
export abstract class FramedDuplex extends Duplex {
  protected readonly queue = new ByteQueue();
  protected readonly inner: Duplex;
  /** Inner is paused because our readable side is full. */
  private stalled = false;
  private remoteEnded = false;
  private decoding = false;
  private awaitingFirstWrite = false;
  private firstWriteTimer: NodeJS.Timeout | undefined;

  constructor(inner: Duplex) {
    super({ allowHalfOpen: true, readableHighWaterMark: HIGH_WATER_MARK, writableHighWaterMark: HIGH_WATER_MARK });
    this.inner = inner;
    inner.on('data', this.onData);
    inner.on('end', this.onEnd);
    inner.on('error', this.onError);
    inner.on('close', this.onClose);
  }

  /** Frames `payload` (any number of buffers) into wire buffers appended to `out`. */
  protected abstract encode(payload: Buffer[], out: Buffer[]): void;
  /**
   * Decodes every complete frame in this.queue, handing payload to `emit`. Returns false when emit returned
   * false (the reader is full), true when it needs more bytes. Throws to fail the stream.
   */
  protected abstract decode(emit: (pieces: Buffer[]) => boolean): boolean;
  /** True when no frame is partly received, so an end of stream here is clean. */
  protected abstract atFrameBoundary(): boolean;
  protected abstract failure(reason: FramedFailure): Error;

  /**
   * For protocols whose encode() puts their header in front of the first payload, so both leave in one
   * write and one packet: when nothing is written within `maxWaitMs`, or the stream ends first, an encode()
   * of nothing sends the header on its own (server-speaks-first protocols).
   */
  protected sendHeaderWithin(maxWaitMs: number): void {
    this.awaitingFirstWrite = true;
    this.firstWriteTimer = setTimeout(() => this.sendHeaderAlone(), maxWaitMs);
    this.firstWriteTimer.unref();
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
    this.sendHeaderAlone();
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
    this.firstWriteDone();
    this.queue.clear();
    this.inner.destroy();
    callback(error);
  }

  private writeWire(payload: Buffer[], callback: (error?: Error | null) => void): void {
    if (this.inner.destroyed) {
      callback(this.failure({ kind: 'closed' }));
      return;
    }
    this.firstWriteDone();
    const out: Buffer[] = [];
    try {
      this.encode(payload, out);
    } catch (err) {
      callback(err as Error);
      return;
    }
    // One buffer per write: a memcpy is cheaper than the stream bookkeeping of many small writes.
    if (this.inner.write(out.length === 1 ? out[0] : Buffer.concat(out))) callback();
    else this.inner.once('drain', () => callback());
  }

  private firstWriteDone(): void {
    if (!this.awaitingFirstWrite) return;
    this.awaitingFirstWrite = false;
    clearTimeout(this.firstWriteTimer);
  }

  private sendHeaderAlone(): void {
    if (this.awaitingFirstWrite) this.writeWire([], () => {});
  }

  private readonly onData = (b: Buffer): void => {
    this.queue.push(b);
    if (!this.stalled) this.drain();
  };

  /**
   * Decodes what is queued, pushing payload until our reader is full. The payload of the frames decoded from
   * what arrived is pushed as one buffer (up to HIGH_WATER_MARK): a push per frame became a write per frame
   * on the consumer's socket, costing more than joining them.
   */
  private drain(): void {
    if (this.decoding || this.destroyed) return;
    this.decoding = true;
    const batch: Buffer[] = [];
    let batched = 0;
    const flush = (): boolean => {
      if (batch.length === 0) return true;
      const joined = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batched);
      batch.length = 0;
      batched = 0;
      return this.push(joined);
    };
    try {
      let wantsMore = this.decode((pieces) => {
        for (const p of pieces) {
          batch.push(p);
          batched += p.length;
        }
        return batched < HIGH_WATER_MARK || flush();
      });
      if (!flush()) wantsMore = false;
      if (!wantsMore) {
        this.stalled = true;
        this.inner.pause();
      } else if (this.remoteEnded) {
        if (this.atFrameBoundary()) this.push(null);
        else this.destroy(this.failure({ kind: 'eof-mid-frame' }));
      }
    } catch (error) {
      flush(); // what authenticated before the bad frame
      this.destroy(this.failure({ kind: 'decode', error }));
    } finally {
      this.decoding = false;
    }
  }

  private readonly onEnd = (): void => {
    this.remoteEnded = true;
    if (!this.stalled) this.drain();
  };

  private readonly onError = (err: NodeJS.ErrnoException): void => {
    if (!this.destroyed) this.destroy(this.failure({ kind: 'socket', error: err }));
  };

  private readonly onClose = (): void => {
    // After an orderly end the queued payload is still delivered; later writes fail in writeWire.
    if (this.destroyed || this.remoteEnded) return;
    this.destroy(this.failure({ kind: 'closed' }));
  };
}
