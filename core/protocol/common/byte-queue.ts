/**
 * Bytes received but not yet parsed, kept as the list of buffers they arrived in. Taking N bytes returns
 * views into those buffers; only a read that must be contiguous and spans two buffers copies, so a large
 * download is never concatenated. Shared by the Shadowsocks, VLESS and VMess readers, which take a few
 * pieces per ~2 KiB chunk: the head buffer is read through an offset rather than re-sliced on every take.
 */
export class ByteQueue {
  private readonly list: Buffer[] = [];
  private head = 0;
  /** Bytes of list[head] already taken. */
  private offset = 0;
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
      const available = b.length - this.offset;
      if (available <= left) {
        out.push(this.offset === 0 ? b : b.subarray(this.offset));
        left -= available;
        this.dropHead();
      } else {
        out.push(b.subarray(this.offset, this.offset + left));
        this.offset += left;
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
    if (first.length - this.offset < n) return Buffer.concat(this.take(n), n);
    const out = this.offset === 0 && first.length === n ? first : first.subarray(this.offset, this.offset + n);
    this.skip(n);
    return out;
  }

  /** The unsigned 16-bit big-endian number at the front, removed (length ≥ 2); no view is made. */
  takeUInt16BE(): number {
    const first = this.list[this.head]!;
    if (first.length - this.offset < 2) return this.takeContiguous(2).readUInt16BE(0);
    const v = (first[this.offset]! << 8) | first[this.offset + 1]!;
    this.skip(2);
    return v;
  }

  /** Discards exactly `n` bytes (n ≤ length). */
  skip(n: number): void {
    this.length -= n;
    let left = n;
    while (left > 0) {
      const available = this.list[this.head]!.length - this.offset;
      if (available <= left) {
        left -= available;
        this.dropHead();
      } else {
        this.offset += left;
        left = 0;
      }
    }
    this.compact();
  }

  /**
   * Copies what is still queued into one buffer of its own, for a caller whose pushed buffers are about
   * to be reused (a socket read into a recycled buffer): only the unparsed tail is copied, not the read.
   */
  detach(): void {
    if (this.length === 0) return this.clear();
    const rest = Buffer.concat(this.take(this.length));
    this.clear();
    this.push(rest);
  }

  /** Removes and returns everything queued. */
  drain(): Buffer[] {
    return this.take(this.length);
  }

  clear(): void {
    this.list.length = 0;
    this.head = 0;
    this.offset = 0;
    this.length = 0;
  }

  private dropHead(): void {
    this.list[this.head++] = undefined as unknown as Buffer;
    this.offset = 0;
  }

  private compact(): void {
    // Drop consumed slots now and then instead of shifting the array on every take.
    if (this.head === this.list.length) {
      this.list.length = 0;
      this.head = 0;
    } else if (this.head > 32 && this.head * 2 > this.list.length) {
      this.list.splice(0, this.head);
      this.head = 0;
    }
  }
}
