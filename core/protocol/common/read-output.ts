import { BULK_READ, SMALL_READS_TO_GIVE_UP } from '../../transport/tcp.js';

/**
 * Where a decrypting reader (VMess, Shadowsocks) puts the plaintext of one read: a single buffer per read, never
 * from Node's pool (a native batch may span the pool's memory), handed on as one view. Without `reuse` each read
 * gets a new buffer. With it, set once whoever takes the payload is done with it before the next read
 * (FramedStream's read sink, see StreamCodec.reuseOutput), bulk reads keep one buffer, given up as directReads
 * sockets give up theirs (core/transport/tcp.ts): after several small reads in a row, when the transfer went
 * quiet.
 *
 * One buffer per read rather than one per chunk also keeps the garbage collector out of the transfer: buffers
 * that outlive a young-generation collection (the relay holds them until written) are promoted, and promoted
 * buffers are freed only by full collections, which then run every few tens of milliseconds.
 */
export class ReadOutput {
  reuse = false;
  private kept?: Buffer;
  /** Small reads in a row since the last bulk one. */
  private smallReads = 0;

  /** A buffer of at least `atLeast` bytes for this read's plaintext. */
  take(atLeast: number): Buffer {
    if (!this.reuse) return Buffer.allocUnsafeSlow(atLeast);
    if (atLeast < BULK_READ) {
      if (++this.smallReads >= SMALL_READS_TO_GIVE_UP) this.kept = undefined;
      if (!this.kept || this.kept.length < atLeast) return Buffer.allocUnsafeSlow(atLeast);
      return this.kept;
    }
    this.smallReads = 0;
    if (!this.kept || this.kept.length < atLeast) this.kept = Buffer.allocUnsafeSlow(atLeast);
    return this.kept;
  }
}
