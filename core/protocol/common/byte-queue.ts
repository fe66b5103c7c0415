/**
 * Bytes received but not yet parsed, kept as the list of buffers they arrived in. Taking N bytes returns
 * views into those buffers; only a read that must be contiguous and spans two buffers copies, so a large
 * download is never concatenated. Shared by the Shadowsocks, VLESS and VMess readers.
 */
export class ByteQueue {
  private readonly list: Buffer[] = [];
  private head = 0;
  length = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.list.push(b);
    this.length += b.length;
  }

  /** Removes exactly `n` bytes (n ≤ length) and returns them as consecutive pieces. */
  take(n: number): Buffer[] {
    const out: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const b = this.list[this.head]!;
      if (b.length <= left) {
        out.push(b);
        left -= b.length;
        this.list[this.head++] = undefined as unknown as Buffer;
      } else {
        out.push(b.subarray(0, left));
        this.list[this.head] = b.subarray(left);
        left = 0;
      }
    }
    this.length -= n;
    this.compact();
    return out;
  }

  /** Removes exactly `n` bytes (n ≤ length) as one buffer, copying only when they span pieces. */
  takeContiguous(n: number): Buffer {
    const first = this.list[this.head]!;
    if (first.length >= n) return this.take(n)[0]!;
    return Buffer.concat(this.take(n), n);
  }

  /** Removes and returns everything queued. */
  drain(): Buffer[] {
    return this.take(this.length);
  }

  clear(): void {
    this.list.length = 0;
    this.head = 0;
    this.length = 0;
  }

  private compact(): void {
    // Drop consumed slots now and then instead of shifting the array on every take.
    if (this.head > 32 && this.head * 2 > this.list.length) {
      this.list.splice(0, this.head);
      this.head = 0;
    } else if (this.head === this.list.length) {
      this.list.length = 0;
      this.head = 0;
    }
  }
}
