import fs from 'node:fs';
import path from 'node:path';
import type { Endpoint } from '../../adapter/outbound.js';
import { parseIp } from '../ip-address.js';
import { procAddress, procPort, SocketTable } from './linux-socket-table.js';
import { SocketOwners } from './linux-socket-owners.js';
import type { ProcessInfo, ProcessLookup } from './types.js';

const INFO_TTL_MS = 10_000;

/**
 * Linux: /proc/net/tcp{,6} gives the inode of the client's socket (local end = the source the inbound
 * saw, remote port = ours); /proc/<pid>/fd tells who holds `socket:[inode]`; /proc/<pid>/exe names it.
 */
export class LinuxProcessLookup implements ProcessLookup {
  readonly tcp: SocketTable;
  readonly tcp6: SocketTable;
  readonly owners: SocketOwners;
  private readonly info = new Map<number, { at: number; info: ProcessInfo }>();
  /** Client endpoint → socket inode, for the connections looked up and still open. */
  private readonly open = new Map<string, number>();

  constructor(private readonly procRoot = '/proc') {
    this.tcp = new SocketTable(`${procRoot}/net/tcp`);
    this.tcp6 = new SocketTable(`${procRoot}/net/tcp6`);
    this.owners = new SocketOwners(procRoot);
  }

  async lookup(client: Endpoint, serverPort: number): Promise<ProcessInfo | undefined> {
    const ip = parseIp(client.address);
    if (!ip) return undefined;
    const port = procPort(client.port);
    const remotePort = procPort(serverPort);
    // An IPv4 client usually has an AF_INET socket; a dual-stack one shows in tcp6 as ::ffff:a.b.c.d.
    let line = ip.v6 ? undefined : await this.tcp.find(`${procAddress(ip, 'tcp')}:${port}`, remotePort);
    line ??= await this.tcp6.find(`${procAddress(ip, 'tcp6')}:${port}`, remotePort);
    if (!line) return undefined;
    const pid = this.owners.find(line.inode, line.uid);
    if (pid === undefined) return undefined;
    this.open.set(`${client.address}:${client.port}`, line.inode);
    return { ...this.describe(pid), pid };
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
