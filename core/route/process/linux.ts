import fs from 'node:fs';
import path from 'node:path';
import type { Endpoint } from '../../adapter/outbound.js';
import type { Logger } from '../../logger.js';
import { silentLogger } from '../../logger.js';
import { parseIp, type IpBytes } from '../ip-address.js';
import { loadSockDiag, type SockDiag } from './linux-sock-diag.js';
import { procAddress, procPort, SocketTable, type SocketLine } from './linux-socket-table.js';
import { SocketOwners } from './linux-socket-owners.js';
import type { ProcessInfo, ProcessLookup } from './types.js';

const INFO_TTL_MS = 10_000;
const LOOPBACK_V4: IpBytes = { v6: false, bytes: Uint8Array.of(127, 0, 0, 1) };
const LOOPBACK_V6: IpBytes = { v6: true, bytes: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1) };

export interface LinuxProcessLookupOptions {
  procRoot?: string;
  /** The sock_diag addon; by default loaded when built, `null` to use /proc/net/tcp only. */
  sockDiag?: SockDiag | null;
  /** Told once when sock_diag fails at run time and lookups fall back to /proc/net/tcp. */
  logger?: Logger;
}

/** How the client's socket is found: an exact netlink query, or a read of /proc/net/tcp{,6}. */
export type SocketSearch = 'sock_diag' | 'proc';

/**
 * Linux: the inode of the client's socket (local end = the source the inbound saw, remote end = us) comes
 * from netlink sock_diag when its addon is built, else from /proc/net/tcp{,6}; /proc/<pid>/fd tells who
 * holds `socket:[inode]`; /proc/<pid>/exe names it.
 */
export class LinuxProcessLookup implements ProcessLookup {
  readonly tcp: SocketTable;
  readonly tcp6: SocketTable;
  readonly owners: SocketOwners;
  /** The netlink search when its addon loaded (kept after a failure, for its count). */
  readonly sockDiag: SockDiag | undefined;
  private sockDiagFailed = false;
  private readonly procRoot: string;
  private readonly logger: Logger;
  private readonly info = new Map<number, { at: number; info: ProcessInfo }>();
  /** Client endpoint → socket inode, for the connections looked up and still open. */
  private readonly open = new Map<string, number>();

  constructor(options: LinuxProcessLookupOptions | string = {}) {
    const o = typeof options === 'string' ? { procRoot: options } : options;
    this.procRoot = o.procRoot ?? '/proc';
    this.tcp = new SocketTable(`${this.procRoot}/net/tcp`);
    this.tcp6 = new SocketTable(`${this.procRoot}/net/tcp6`);
    this.owners = new SocketOwners(this.procRoot);
    // A fake /proc (tests) holds no kernel sockets to ask netlink about.
    this.sockDiag = o.sockDiag === null ? undefined : (o.sockDiag ?? (this.procRoot === '/proc' ? loadSockDiag() : undefined));
    this.logger = o.logger ?? silentLogger;
  }

  /** The search in use now (it turns to 'proc' for good if sock_diag fails). */
  get search(): SocketSearch {
    return this.sockDiag && !this.sockDiagFailed ? 'sock_diag' : 'proc';
  }

  /** Socket searches made so far of either kind (netlink queries, table passes): tests read it. */
  get socketSearches(): number {
    return (this.sockDiag?.queries ?? 0) + this.tcp.passes + this.tcp6.passes;
  }

  async lookup(client: Endpoint, serverPort: number, serverAddress?: string): Promise<ProcessInfo | undefined> {
    const ip = parseIp(client.address);
    if (!ip) return undefined;
    const line = this.search === 'sock_diag' ? this.findByTuple(ip, client.port, serverPort, serverAddress) : undefined;
    // undefined: no answer from sock_diag that settles it, so the table decides.
    const socket = line === undefined ? await this.findInTable(ip, client.port, serverPort) : line;
    if (!socket) return undefined;
    const pid = this.owners.find(socket.inode, socket.uid);
    if (pid === undefined) return undefined;
    this.open.set(`${client.address}:${client.port}`, socket.inode);
    return { ...this.describe(pid), pid };
  }

  /**
   * The client's socket by its exact tuple. With our end's address known, the answer settles it (null: no
   * such socket); without it, the likely ones are tried (a local client usually connects from the address it
   * connects to, or to loopback), and a miss (undefined) leaves it to the table, which needs only our port.
   */
  private findByTuple(client: IpBytes, clientPort: number, serverPort: number, serverAddress?: string): SocketLine | null | undefined {
    const exact = serverAddress === undefined ? undefined : parseIp(serverAddress);
    const servers = exact ? [exact] : [client, client.v6 ? LOOPBACK_V6 : LOOPBACK_V4];
    try {
      for (const server of servers) {
        const found = this.sockDiag!.find(client, clientPort, server, serverPort);
        if (found) return found;
      }
    } catch (err) {
      this.sockDiagFailed = true;
      this.logger.warn({ err: (err as Error).message }, 'process lookup: sock_diag failed, reading /proc/net/tcp from now on');
      return undefined;
    }
    return exact ? null : undefined;
  }

  private async findInTable(ip: IpBytes, clientPort: number, serverPort: number): Promise<SocketLine | undefined> {
    const port = procPort(clientPort);
    const remotePort = procPort(serverPort);
    // An IPv4 client usually has an AF_INET socket; a dual-stack one shows in tcp6 as ::ffff:a.b.c.d.
    let line = ip.v6 ? undefined : await this.tcp.find(`${procAddress(ip, 'tcp')}:${port}`, remotePort);
    line ??= await this.tcp6.find(`${procAddress(ip, 'tcp6')}:${port}`, remotePort);
    return line;
  }

  forget(client: Endpoint): void {
    const key = `${client.address}:${client.port}`;
    const inode = this.open.get(key);
    if (inode === undefined) return;
    this.open.delete(key);
    this.owners.release(inode);
  }

  /** Name and path of a process, kept a few seconds (pids are reused, programs exec). */
  private describe(pid: number): ProcessInfo {
    const now = Date.now();
    const cached = this.info.get(pid);
    if (cached && now - cached.at < INFO_TTL_MS) return cached.info;
    const info = readProcessInfo(this.procRoot, pid);
    if (this.info.size > 1024) this.info.clear();
    this.info.set(pid, { at: now, info });
    return info;
  }
}

/** The executable's path when readable (another user's process may refuse), else the 15-character comm. */
export function readProcessInfo(procRoot: string, pid: number): ProcessInfo {
  let exe: string | undefined;
  try {
    exe = fs.readlinkSync(`${procRoot}/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    exe = undefined;
  }
  if (exe) return { name: path.basename(exe), path: exe };
  try {
    return { name: fs.readFileSync(`${procRoot}/${pid}/comm`, 'utf8').trim() };
  } catch {
    return {};
  }
}
