/**
 * Bytes received but not yet parsed, kept as the list of buffers they arrived in: taking n bytes copies
 * only when they span two arrivals, so a 20 MiB download is never concatenated.
 * Shared by the VLESS response header and the VMess chunk reader.
 */
export class BufferQueue {
  private readonly bufs: Buffer[] = [];
  length = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.bufs.push(b);
    this.length += b.length;
  }

  /** Removes the first n bytes (n <= length) and returns them as views of the buffers they sit in. */
  takePieces(n: number): Buffer[] {
    const out: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const head = this.bufs[0]!;
      if (head.length <= left) {
        out.push(head);
        this.bufs.shift();
        left -= head.length;
      } else {
        out.push(head.subarray(0, left));
        this.bufs[0] = head.subarray(left);
        left = 0;
      }
    }
    this.length -= n;
    return out;
  }

  /** Removes the first n bytes as one buffer; copies only when they span arrivals. */
  take(n: number): Buffer {
    const pieces = this.takePieces(n);
    return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, n);
  }

  /** Removes and returns everything queued. */
  drain(): Buffer[] {
    return this.takePieces(this.length);
  }
}
