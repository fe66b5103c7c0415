import fs from 'node:fs';

interface ProcessFds {
  /** fd name → socket inode (0 when the descriptor is not a socket). */
  readonly fds: Map<string, number>;
  /**
   * Descriptors whose connection ended (fd → the inode it held): the first to re-read, since the kernel
   * reuses the lowest free number. One stays stale while it still holds that inode (the client had not
   * closed it yet when another lookup looked).
   */
  readonly stale: Map<string, number>;
  uid: number | undefined;
}

/**
 * What a scan of a process reads: `likely`, only where a new socket usually lands (freed descriptors, the
 * numbers just past the highest known), without listing the directory; `fresh`, every new or freed
 * descriptor the listing shows; `known`, all the others it already knew.
 */
type ScanMode = 'likely' | 'fresh' | 'known';

const SOCKET_LINK = /^socket:\[(\d+)\]$/;
const HOT_PIDS = 8;

/**
 * Which process holds a socket, by inode. Reading every /proc/<pid>/fd link for every connection would
 * cost milliseconds, so what was read is kept (pid → fd → inode, inode → pid) and a miss re-reads as
 * little as it can, cheapest first:
 * 1. the processes that owned recent connections (a browser opens many): first where a new socket usually
 *    lands in each, then their new or freed descriptors (listing a busy process's descriptors costs far more
 *    than the few links of the first step, so no recent owner is listed before all were tried that way);
 * 2. every other process of the socket's user, the same way (a process never seen is all new);
 * 3. every process of that user, re-reading the descriptors it already knew (numbers reused since).
 */
export class SocketOwners {
  private readonly procs = new Map<number, ProcessFds>();
  private readonly byInode = new Map<number, { pid: number; fd: string }>();
  /** Most recent owner first. */
  private hot: number[] = [];
  /** Links read so far: tests and the bench read it. */
  linksRead = 0;

  constructor(private readonly procRoot = '/proc') {}

  find(inode: number, uid?: number): number | undefined {
    const known = this.byInode.get(inode);
    if (known) return this.touch(known.pid);
    for (const pid of this.hot) if (this.scan(pid, 'likely', inode)) return this.touch(pid);
    for (const pid of this.hot) if (this.scan(pid, 'fresh', inode)) return this.touch(pid);
    const pids = this.listPids().filter((pid) => this.ownedBy(pid, uid));
    const hot = new Set(this.hot);
    for (const pid of pids) if (!hot.has(pid) && (this.scan(pid, 'likely', inode) || this.scan(pid, 'fresh', inode))) return this.touch(pid);
    for (const pid of pids) if (this.scan(pid, 'known', inode)) return this.touch(pid);
    return undefined;
  }

  /** The socket has closed (its connection ended): its descriptor number may come back as a new socket. */
  release(inode: number): void {
    const at = this.byInode.get(inode);
    if (!at) return;
    this.byInode.delete(inode);
    this.procs.get(at.pid)?.stale.set(at.fd, inode);
  }

  private touch(pid: number): number {
    this.hot = [pid, ...this.hot.filter((p) => p !== pid)].slice(0, HOT_PIDS);
    return pid;
  }

  private listPids(): number[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.procRoot);
    } catch {
      return [];
    }
    const pids: number[] = [];
    for (const n of names) {
      const c = n.charCodeAt(0);
      if (c >= 48 && c <= 57) pids.push(Number(n));
    }
    return pids;
  }

  private ownedBy(pid: number, uid: number | undefined): boolean {
    if (uid === undefined) return true;
    const entry = this.entry(pid);
    if (entry.uid === undefined) {
      try {
        entry.uid = fs.statSync(`${this.procRoot}/${pid}`).uid;
      } catch {
        this.drop(pid);
        return false;
      }
    }
    return entry.uid === uid;
  }

  private entry(pid: number): ProcessFds {
    let e = this.procs.get(pid);
    if (!e) this.procs.set(pid, (e = { fds: new Map(), stale: new Map(), uid: undefined }));
    return e;
  }

  private drop(pid: number): void {
    const e = this.procs.get(pid);
    if (!e) return;
    for (const inode of e.fds.values()) if (inode && this.byInode.get(inode)?.pid === pid) this.byInode.delete(inode);
    this.procs.delete(pid);
    this.hot = this.hot.filter((p) => p !== pid);
  }

  /** Reads the process's descriptors the mode calls for; true as soon as one holds `target`. */
  private scan(pid: number, mode: ScanMode, target: number): boolean {
    const dir = `${this.procRoot}/${pid}/fd`;
    const e = this.entry(pid);
    // Cheapest first, without listing a directory that may hold thousands: the descriptors whose socket
    // closed (reused by the kernel first), then the numbers just past the highest known.
    if (mode === 'likely') {
      if (e.fds.size === 0) return false;
      for (const fd of [...e.stale.keys()]) if (this.readFd(pid, e, dir, fd) === target) return true;
      let top = -1;
      for (const fd of e.fds.keys()) top = Math.max(top, Number(fd));
      for (let fd = top + 1; fd <= top + 4; fd++) {
        const inode = this.readFd(pid, e, dir, String(fd));
        if (inode === target) return true;
        if (inode === undefined) break;
      }
      return false;
    }
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      // Gone, or another user's process we may not read.
      this.drop(pid);
      return false;
    }
    if (e.fds.size > names.length) this.forgetClosed(pid, e, names);
    for (const fd of names) {
      const isFresh = !e.fds.has(fd) || e.stale.has(fd);
      if ((mode === 'fresh') !== isFresh) continue;
      if (this.readFd(pid, e, dir, fd) === target) return true;
    }
    return false;
  }

  /** Reads one descriptor's link into the maps: its socket inode, 0 for anything else, undefined when closed. */
  private readFd(pid: number, e: ProcessFds, dir: string, fd: string): number | undefined {
    let link: string;
    try {
      link = fs.readlinkSync(`${dir}/${fd}`);
    } catch {
      // Closed since it was read: forget it.
      const gone = e.fds.get(fd);
      if (gone && this.byInode.get(gone)?.pid === pid) this.byInode.delete(gone);
      e.fds.delete(fd);
      e.stale.delete(fd);
      return undefined;
    }
    this.linksRead++;
    const m = SOCKET_LINK.exec(link);
    const inode = m ? Number(m[1]) : 0;
    if (e.stale.get(fd) === inode) return inode;
    const before = e.fds.get(fd);
    if (before && this.byInode.get(before)?.pid === pid) this.byInode.delete(before);
    e.fds.set(fd, inode);
    e.stale.delete(fd);
    if (inode) this.byInode.set(inode, { pid, fd });
    return inode;
  }

  /** Descriptors closed since the last scan: drop them so the maps do not grow without bound. */
  private forgetClosed(pid: number, e: ProcessFds, names: string[]): void {
    const present = new Set(names);
    for (const [fd, inode] of e.fds) {
      if (present.has(fd)) continue;
      e.fds.delete(fd);
      e.stale.delete(fd);
      if (inode && this.byInode.get(inode)?.pid === pid) this.byInode.delete(inode);
    }
  }
}
