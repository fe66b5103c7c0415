import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { IpBytes } from '../ip-address.js';

/** The socket the kernel found: its inode (0 once nobody holds it, as in TIME_WAIT) and its owner's uid. */
export interface DiagSocket {
  inode: number;
  uid: number;
}

/** native/sockdiag: one exact NETLINK_SOCK_DIAG query per call (src = the socket's local end). */
export interface SockDiagAddon {
  lookup(family: 4 | 6, srcAddr: Buffer, srcPort: number, dstAddr: Buffer, dstPort: number): DiagSocket | null;
}

/** scripts/build-core.mjs rewrites import.meta.url, so the bundle in dist/core/ finds the addon here too. */
export const SOCK_DIAG_ADDON = fileURLToPath(new URL('../../../native/sockdiag/build/Release/sockdiag.node', import.meta.url));

const mapped = (ip: IpBytes): Buffer => {
  const out = Buffer.alloc(16);
  out[10] = 0xff;
  out[11] = 0xff;
  out.set(ip.bytes, 12);
  return out;
};

/**
 * Finds the client's socket of a connection to us by its exact 4-tuple: one kernel hash lookup, a few
 * microseconds whatever the size of the TCP table (reading /proc/net/tcp walks every bucket of it).
 */
export class SockDiag {
  /** Queries sent so far: tests and the bench read it. */
  queries = 0;

  constructor(private readonly addon: SockDiagAddon) {}

  /**
   * The socket whose local end is client:clientPort and remote end server:serverPort; undefined when there
   * is none or nobody holds it any more. Throws when the kernel's answer makes no sense.
   */
  find(client: IpBytes, clientPort: number, server: IpBytes, serverPort: number): DiagSocket | undefined {
    if (client.v6 !== server.v6) return undefined;
    let found: DiagSocket | null;
    if (client.v6) found = this.ask(6, Buffer.from(client.bytes), clientPort, Buffer.from(server.bytes), serverPort);
    else {
      // An IPv4 client usually has an AF_INET socket; a dual-stack one is AF_INET6 with ::ffff:a.b.c.d.
      found = this.ask(4, Buffer.from(client.bytes), clientPort, Buffer.from(server.bytes), serverPort);
      found ??= this.ask(6, mapped(client), clientPort, mapped(server), serverPort);
    }
    return found && found.inode !== 0 ? found : undefined;
  }

  private ask(family: 4 | 6, src: Buffer, srcPort: number, dst: Buffer, dstPort: number): DiagSocket | null {
    this.queries++;
    return this.addon.lookup(family, src, srcPort, dst, dstPort);
  }
}

/** The addon when it was built and loads here; undefined on another OS or without it (no build tools). */
export function loadSockDiag(platform: NodeJS.Platform = process.platform, file = SOCK_DIAG_ADDON): SockDiag | undefined {
  if (platform !== 'linux') return undefined;
  try {
    const addon = createRequire(import.meta.url)(file) as SockDiagAddon;
    return typeof addon?.lookup === 'function' ? new SockDiag(addon) : undefined;
  } catch {
    return undefined;
  }
}
