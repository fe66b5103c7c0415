import fs from 'node:fs';
import net from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIp } from '../../../core/route/ip-address.js';
import { LinuxProcessLookup } from '../../../core/route/process/linux.js';
import { loadSockDiag, SOCK_DIAG_ADDON, SockDiag, type SockDiagAddon } from '../../../core/route/process/linux-sock-diag.js';
import { procAddress, procPort } from '../../../core/route/process/linux-socket-table.js';

/**
 * The sock_diag addon against real sockets on loopback: the inode it names for a client's socket is the one
 * /proc/net/tcp{,6} lists for that socket, the uid is ours, and LinuxProcessLookup names this process.
 */
const diag = loadSockDiag();
const unavailable =
  process.platform !== 'linux'
    ? 'sock_diag is Linux only'
    : !fs.existsSync(SOCK_DIAG_ADDON)
      ? `sock_diag addon not built (${SOCK_DIAG_ADDON} missing: run node scripts/build-native.mjs)`
      : diag
        ? undefined
        : `sock_diag addon at ${SOCK_DIAG_ADDON} does not load`;
if (unavailable) console.warn(`sock-diag tests skipped: ${unavailable}`);

const canIpv6 = fs.existsSync('/proc/net/tcp6');

interface Listener {
  server: net.Server;
  port: number;
  /** Server-side sockets as accepted, in order. */
  accepted: net.Socket[];
  next(): Promise<net.Socket>;
}

const opened: net.Socket[] = [];
const listeners: Listener[] = [];

async function listen(host: string): Promise<Listener> {
  const accepted: net.Socket[] = [];
  const waiting: ((s: net.Socket) => void)[] = [];
  const server = net.createServer((s) => {
    opened.push(s);
    const w = waiting.shift();
    if (w) w(s);
    else accepted.push(s);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const l: Listener = {
    server,
    port: (server.address() as net.AddressInfo).port,
    accepted,
    next: () => new Promise((resolve) => (accepted.length ? resolve(accepted.shift()!) : waiting.push(resolve))),
  };
  listeners.push(l);
  return l;
}

function connect(options: net.NetConnectOpts): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(options, () => resolve(s));
    s.once('error', reject);
    opened.push(s);
  });
}

/** The inode /proc/net/tcp or tcp6 lists for the socket with this exact local and remote end. */
function procInode(table: 'tcp' | 'tcp6', local: { address: string; port: number }, remote: { address: string; port: number }): number | undefined {
  const at = (e: { address: string; port: number }) => `${procAddress(parseIp(e.address)!, table)}:${procPort(e.port)}`;
  for (const line of fs.readFileSync(`/proc/net/${table}`, 'latin1').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === at(local) && f[2] === at(remote)) return Number(f[9]);
  }
  return undefined;
}

afterAll(async () => {
  for (const s of opened) s.destroy();
  await Promise.all(listeners.map((l) => new Promise((r) => l.server.close(r))));
});

describe.skipIf(unavailable !== undefined)(`sock_diag lookup of a client socket${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  const sd = diag!;
  const uid = process.getuid!();

  it('IPv4: names the inode /proc/net/tcp lists for the client socket, and our uid', async () => {
    const l = await listen('127.0.0.1');
    const client = await connect({ host: '127.0.0.1', port: l.port });
    const found = sd.find(parseIp('127.0.0.1')!, client.localPort!, parseIp('127.0.0.1')!, l.port);
    const expected = procInode('tcp', { address: '127.0.0.1', port: client.localPort! }, { address: '127.0.0.1', port: l.port });
    expect(expected).toBeGreaterThan(0);
    expect(found).toEqual({ inode: expected, uid });
    // Our accepted socket has the same ends the other way round: a different socket, a different inode.
    const ours = sd.find(parseIp('127.0.0.1')!, l.port, parseIp('127.0.0.1')!, client.localPort!);
    expect(ours?.inode).toBe(procInode('tcp', { address: '127.0.0.1', port: l.port }, { address: '127.0.0.1', port: client.localPort! }));
    expect(ours?.inode).not.toBe(expected);
  });

  it.skipIf(!canIpv6)('IPv6 ::1: names the inode /proc/net/tcp6 lists', async () => {
    const l = await listen('::1');
    const client = await connect({ host: '::1', port: l.port });
    const found = sd.find(parseIp('::1')!, client.localPort!, parseIp('::1')!, l.port);
    const expected = procInode('tcp6', { address: '::1', port: client.localPort! }, { address: '::1', port: l.port });
    expect(expected).toBeGreaterThan(0);
    expect(found).toEqual({ inode: expected, uid });
  });

  it.skipIf(!canIpv6)('an IPv4 client of a dual-stack :: listener, and a dual-stack client socket (::ffff:127.0.0.1)', async () => {
    const l = await listen('::');
    // An AF_INET client: our accepted socket sees it as ::ffff:127.0.0.1.
    const v4 = await connect({ host: '127.0.0.1', port: l.port });
    const accepted = await l.next();
    expect(accepted.remoteAddress).toBe('::ffff:127.0.0.1');
    const v4Found = sd.find(parseIp(accepted.remoteAddress!)!, accepted.remotePort!, parseIp(accepted.localAddress!)!, l.port);
    expect(v4Found).toEqual({ inode: procInode('tcp', { address: '127.0.0.1', port: v4.localPort! }, { address: '127.0.0.1', port: l.port }), uid });
    // An AF_INET6 client socket talking IPv4: listed in tcp6 only, as ::ffff:127.0.0.1.
    const mappedClient = await connect({ host: '::ffff:127.0.0.1', port: l.port });
    const inTcp6 = procInode('tcp6', { address: '127.0.0.1', port: mappedClient.localPort! }, { address: '127.0.0.1', port: l.port });
    expect(inTcp6).toBeGreaterThan(0);
    expect(procInode('tcp', { address: '127.0.0.1', port: mappedClient.localPort! }, { address: '127.0.0.1', port: l.port })).toBeUndefined();
    expect(sd.find(parseIp('127.0.0.1')!, mappedClient.localPort!, parseIp('127.0.0.1')!, l.port)).toEqual({ inode: inTcp6, uid });
  });

  it('a tuple no socket has gives nothing, and so does a listener reached by its port alone', async () => {
    const l = await listen('127.0.0.1');
    const client = await connect({ host: '127.0.0.1', port: l.port });
    const lo = parseIp('127.0.0.1')!;
    expect(sd.find(lo, client.localPort!, lo, l.port === 65535 ? 65534 : l.port + 1)).toBeUndefined();
    expect(sd.find(parseIp('127.0.0.2')!, client.localPort!, lo, l.port)).toBeUndefined();
    // The kernel's lookup falls back to a listener on the local port; the addon must not take it for a connection.
    expect(sd.find(lo, l.port, lo, 9)).toBeUndefined();
    expect(sd.find(lo, client.localPort!, parseIp('::1')!, l.port)).toBeUndefined();
  });

  it('rejects malformed arguments with a TypeError and a code', () => {
    const raw = (sd as unknown as { addon: SockDiagAddon }).addon;
    const four = Buffer.alloc(4);
    expect(() => raw.lookup(5 as 4, four, 1, four, 1)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => raw.lookup(6, four, 1, four, 1)).toThrow(/srcAddr must be a Buffer of 16 bytes/);
    expect(() => raw.lookup(4, four, 70000, four, 1)).toThrow(/srcPort must be an integer port/);
    expect(() => raw.lookup(4, four, 1.5, four, 1)).toThrow(/srcPort/);
  });

  it('200 concurrent connections all resolve to this process, by sock_diag alone', async () => {
    const l = await listen('127.0.0.1');
    const lookup = new LinuxProcessLookup();
    expect(lookup.search).toBe('sock_diag');
    const clients = await Promise.all(Array.from({ length: 200 }, () => connect({ host: '127.0.0.1', port: l.port })));
    const accepted = await Promise.all(clients.map(() => l.next()));
    // Half with our end's address given (exact), half without (the lookup tries the likely one).
    const infos = await Promise.all(
      accepted.map((s, i) => lookup.lookup({ address: s.remoteAddress!, port: s.remotePort! }, l.port, i % 2 ? s.localAddress : undefined)),
    );
    expect(infos.map((i) => i?.pid)).toEqual(Array.from({ length: 200 }, () => process.pid));
    expect(infos[0]?.name).toBe(fs.readlinkSync('/proc/self/exe').split('/').at(-1));
    expect(lookup.tcp.passes + lookup.tcp6.passes).toBe(0);
    expect(lookup.sockDiag!.queries).toBe(200);
  });

  it('with our address given, a client socket already gone is not found and the table is not read', async () => {
    const l = await listen('127.0.0.1');
    const lookup = new LinuxProcessLookup();
    const client = await connect({ host: '127.0.0.1', port: l.port });
    const s = await l.next();
    const [end, ours] = [{ address: s.remoteAddress!, port: s.remotePort! }, s.localAddress!];
    client.destroy();
    await new Promise((r) => s.once('close', r).resume());
    // The client closed first, so its end is in TIME_WAIT: held by nobody (inode 0).
    expect(await lookup.lookup(end, l.port, ours)).toBeUndefined();
    expect(lookup.sockDiag!.queries).toBeGreaterThan(0);
    expect(lookup.tcp.passes + lookup.tcp6.passes).toBe(0);
  });

  it('when sock_diag fails at run time: warns once and reads /proc/net/tcp from then on', async () => {
    const l = await listen('127.0.0.1');
    let calls = 0;
    const broken = new SockDiag({
      lookup: () => {
        calls++;
        throw Object.assign(new Error('sock_diag receive (no reply in time): Resource temporarily unavailable'), { code: 'ERR_SOCK_DIAG_IO' });
      },
    });
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) }));
    const lookup = new LinuxProcessLookup({ sockDiag: broken, logger });
    const clients = await Promise.all([0, 1, 2].map(() => connect({ host: '127.0.0.1', port: l.port })));
    for (const c of clients) {
      const s = await l.next();
      expect((await lookup.lookup({ address: s.remoteAddress!, port: s.remotePort! }, l.port, s.localAddress))?.pid).toBe(process.pid);
      expect(s.remotePort).toBe(c.localPort);
    }
    expect(calls).toBe(1);
    expect(lookup.search).toBe('proc');
    expect(lookup.tcp.passes).toBeGreaterThanOrEqual(3);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('sock_diag failed');
  });
});

describe('sock_diag addon absent', () => {
  it('loads nothing from a path with no addon, or on another OS', () => {
    expect(loadSockDiag('linux', '/nonexistent/sockdiag.node')).toBeUndefined();
    expect(loadSockDiag('darwin')).toBeUndefined();
  });

  it('a lookup without it reads /proc/net/tcp and still names this process', async () => {
    const l = await listen('127.0.0.1');
    const lookup = new LinuxProcessLookup({ sockDiag: null });
    expect(lookup.search).toBe('proc');
    await connect({ host: '127.0.0.1', port: l.port });
    const s = await l.next();
    expect((await lookup.lookup({ address: s.remoteAddress!, port: s.remotePort! }, l.port))?.pid).toBe(process.pid);
    expect(lookup.tcp.passes).toBeGreaterThan(0);
  });
});
