import fs from 'node:fs';
import os from 'node:os';
import type { IpBytes } from '../ip-address.js';

const LITTLE_ENDIAN = os.endianness() === 'LE';

const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');

/**
 * An address as /proc/net/tcp{,6} prints it: each 32-bit word in host byte order as %08X, so on
 * little-endian machines 127.0.0.1 is `0100007F`. IPv4 into tcp6 goes as ::ffff:a.b.c.d.
 */
export function procAddress(ip: IpBytes, table: 'tcp' | 'tcp6'): string {
  let bytes = ip.bytes;
  if (table === 'tcp6' && !ip.v6) bytes = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...ip.bytes]);
  let out = '';
  for (let w = 0; w < bytes.length; w += 4) {
    const word = LITTLE_ENDIAN ? [bytes[w + 3]!, bytes[w + 2]!, bytes[w + 1]!, bytes[w]!] : [bytes[w]!, bytes[w + 1]!, bytes[w + 2]!, bytes[w + 3]!];
    for (const b of word) out += hex(b, 2);
  }
  return out;
}

export const procPort = (port: number) => hex(port, 4);

/** One socket line of /proc/net/tcp: what a lookup needs from it. */
export interface SocketLine {
  inode: number;
  uid: number;
}

/**
 * Reads the fields after the local address of one line:
 * `  12: 0100007F:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000  0 123456 ...`
 *      sl  local         remote        st tx:rx             tr:when     retrnsmt  uid timeout inode
 */
export function parseSocketLine(line: string, remotePort: string): SocketLine | undefined {
  const f = line.trim().split(/\s+/);
  const remote = f[2];
  if (!remote || remote.slice(remote.indexOf(':') + 1) !== remotePort) return undefined;
  const inode = Number(f[9]);
  // TIME_WAIT and other orphaned sockets have inode 0: nobody holds them any more.
  if (!Number.isInteger(inode) || inode === 0) return undefined;
  return { inode, uid: Number(f[7]) };
}

interface Waiter {
  local: string;
  remotePort: string;
  /** Joined a pass already under way, which may have read the socket's part of the table before it existed. */
  late: boolean;
  done?: boolean;
  resolve(found: SocketLine | undefined): void;
}

const CHUNK = 64 * 1024;
/** Longest the table is read without letting other work run. */
const SLICE_MS = 2;

/**
 * Finds sockets in one /proc/net table. The kernel prints every socket of the namespace (TIME_WAIT too),
 * so one read can cost milliseconds; lookups arriving together share one pass, which stops reading as
 * soon as every socket it looks for is found.
 */
export class SocketTable {
  private running: Waiter[] | undefined;
  /** Passes read so far: tests and the bench read it. */
  passes = 0;

  constructor(readonly file: string) {}

  find(local: string, remotePort: string): Promise<SocketLine | undefined> {
    return new Promise((resolve) => {
      const w: Waiter = { local, remotePort, late: false, resolve };
      if (this.running) {
        w.late = true;
        this.running.push(w);
      } else this.start([w]);
    });
  }

  private start(waiters: Waiter[]): void {
    this.running = waiters;
    this.passes++;
    void this.pass(waiters).then(() => {
      const notFound = waiters.splice(0);
      this.running = undefined;
      // A late joiner missed part of the table: it gets a pass of its own, started after it asked.
      const again = notFound.filter((w) => w.late);
      for (const w of notFound) if (!w.late) w.resolve(undefined);
      for (const w of again) w.late = false;
      if (again.length) this.start(again);
    });
  }

  /**
   * Resolves and removes each waiter whose socket shows up; leaves the rest in `waiters`. The kernel hands
   * out a /proc table one page (about 27 sockets) per read, so reads go synchronously (an asynchronous read
   * per page costs a thread-pool round trip each), in slices of about two milliseconds with the event loop
   * let through between them.
   */
  private async pass(waiters: Waiter[]): Promise<void> {
    let fd: number | undefined;
    try {
      fd = fs.openSync(this.file, 'r');
      const buf = Buffer.allocUnsafe(CHUNK);
      let carry = '';
      let sliceStart = performance.now();
      for (;;) {
        const bytesRead = fs.readSync(fd, buf, 0, CHUNK, null);
        if (bytesRead === 0) break;
        const text = carry + buf.toString('latin1', 0, bytesRead);
        const lastNl = text.lastIndexOf('\n');
        carry = text.slice(lastNl + 1);
        this.scan(text.slice(0, lastNl + 1), waiters);
        if (waiters.length === 0) return;
        if (performance.now() - sliceStart > SLICE_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          sliceStart = performance.now();
        }
      }
      if (carry) this.scan(carry, waiters);
    } catch {
      // No such table (IPv6 disabled) or not readable: nothing found.
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  private scan(text: string, waiters: Waiter[]): void {
    if (waiters.length > 4) return this.scanLines(text, waiters);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!;
      // ": ADDR:PORT " only ever appears as the local address, right after the slot number.
      const needle = `: ${w.local} `;
      for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
        const start = text.lastIndexOf('\n', at) + 1;
        const end = text.indexOf('\n', at);
        if (this.settle(w, text.slice(start, end < 0 ? undefined : end))) {
          waiters.splice(i, 1);
          break;
        }
      }
    }
  }

  /** Many lookups at once: one walk over the lines with a map beats one text search per lookup. */
  private scanLines(text: string, waiters: Waiter[]): void {
    const byLocal = new Map<string, Waiter[]>();
    for (const w of waiters) byLocal.set(w.local, [...(byLocal.get(w.local) ?? []), w]);
    for (let start = 0; start < text.length; ) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      const colon = text.indexOf(': ', start);
      if (colon >= 0 && colon < end) {
        const local = text.slice(colon + 2, text.indexOf(' ', colon + 2));
        const ws = byLocal.get(local);
        if (ws) {
          const line = text.slice(start, end);
          for (const w of ws) if (!w.done) this.settle(w, line);
        }
      }
      start = end + 1;
    }
    for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!.done) waiters.splice(i, 1);
  }

  private settle(w: Waiter, line: string): boolean {
    const found = parseSocketLine(line, w.remotePort);
    if (!found) return false;
    w.done = true;
    w.resolve(found);
    return true;
  }
}
