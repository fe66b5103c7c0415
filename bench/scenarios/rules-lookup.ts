/**
 * The process-lookup half of the `rules` scenario, run in a child of its own (in a fresh network
 * namespace when it can make one, so the TCP table holds this run's sockets and nobody else's):
 *
 *   2 holder processes ─ 500 idle connections ─▶ server (1,000 sockets open)
 *   the same holders, one new connection at a time ─▶ server: LinuxProcessLookup.lookup, timed
 *
 * Each holder opens and closes its new connections one after another, so descriptor numbers are reused
 * as a browser's are. The same holders do that once for each way of finding the socket: /proc/net/tcp first
 * (in the state the table was in before any of this run's closed connections sat in TIME_WAIT), then the
 * one LinuxProcessLookup uses by default here (netlink sock_diag when its addon is built), which no number
 * of TIME_WAIT sockets slows.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { LinuxProcessLookup, type SocketSearch } from '../../core/route/process/linux.js';

/** One way of finding the client's socket, measured over the holders' new connections. */
export interface LookupPathRun {
  search: SocketSearch;
  /** The search a LinuxProcessLookup uses here by default: the one the target is checked on. */
  inUse: boolean;
  /** Lines in /proc/net/tcp when this search started: every TCP socket of the namespace, TIME_WAIT included. */
  tableSockets: number;
  lookups: number;
  /** Lookups that named a process other than the holder that connected, or none. */
  wrong: number;
  firstMs: number;
  ms: { p50: number; p99: number; max: number; mean: number };
  /** The two halves of each lookup: finding the client's socket (sock_diag or the table), then its owner in /proc/<pid>/fd. */
  socketMs: { p50: number; p99: number };
  ownerMs: { p50: number; p99: number };
  /** Netlink queries or table passes made. */
  searches: number;
  linksRead: number;
}

export interface LookupRun {
  /** Whether the run had a network namespace of its own. */
  ownNetns: boolean;
  heldConnections: number;
  /** /proc/net/tcp, then the search in use when that is another (sock_diag). */
  paths: LookupPathRun[];
}

const quantiles = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
};

const HOLDER = `
const net = require('node:net');
const port = Number(process.env.PORT), held = Number(process.env.HELD), fresh = Number(process.env.FRESH);
const keep = [];
let up = 0;
for (let i = 0; i < held; i++) {
  const s = net.connect(port, '127.0.0.1', () => { if (++up === held) console.log('READY'); });
  s.on('error', () => process.exit(2));
  keep.push(s);
}
let round = 0;
process.stdin.on('data', async () => {
  const r = ++round;
  for (let i = 0; i < fresh; i++) {
    await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', resolve);
      s.on('close', resolve);
      s.resume();
    });
  }
  console.log('DONE ' + r);
});
`;

function startHolder(port: number, held: number, fresh: number): { child: ChildProcess; line: (text: string) => Promise<void> } {
  const child = spawn(process.execPath, ['-e', HOLDER], { env: { ...process.env, PORT: String(port), HELD: String(held), FRESH: String(fresh) }, stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const waiting: { text: string; resolve: () => void }[] = [];
  child.stdout!.on('data', (d) => {
    out += d;
    for (const w of waiting.filter((w) => out.includes(w.text))) w.resolve();
  });
  return { child, line: (text) => new Promise((resolve) => (out.includes(text) ? resolve() : waiting.push({ text, resolve }))) };
}

/** A lookup with its two halves timed, by wrapping them on this instance (the bench's instrument, not the product's). */
function timedLookup(lookup: LinuxProcessLookup): { socketTimes: number[]; ownerTimes: number[] } {
  const socketTimes: number[] = [];
  const ownerTimes: number[] = [];
  const timeAsync = <A extends unknown[], R>(fn: (...a: A) => Promise<R>) => async (...a: A) => {
    const t = performance.now();
    const r = await fn(...a);
    socketTimes.push(performance.now() - t);
    return r;
  };
  if (lookup.sockDiag) {
    const find = lookup.sockDiag.find.bind(lookup.sockDiag);
    lookup.sockDiag.find = (...a) => {
      const t = performance.now();
      const r = find(...a);
      socketTimes.push(performance.now() - t);
      return r;
    };
  }
  lookup.tcp.find = timeAsync(lookup.tcp.find.bind(lookup.tcp));
  lookup.tcp6.find = timeAsync(lookup.tcp6.find.bind(lookup.tcp6));
  const owner = lookup.owners.find.bind(lookup.owners);
  lookup.owners.find = (inode, uid) => {
    const t = performance.now();
    const pid = owner(inode, uid);
    ownerTimes.push(performance.now() - t);
    return pid;
  };
  return { socketTimes, ownerTimes };
}

/**
 * 500 new connections per holder, 1,000 lookups per search: with 300, the p99 was the third-worst lookup,
 * which the two cold first lookups (one per holder, reading processes never seen) all but decide.
 */
export async function runLookup(ownNetns: boolean, heldTotal = 500, freshPerHolder = 500): Promise<LookupRun> {
  const inUse = new LinuxProcessLookup();
  const lookups = inUse.search === 'proc' ? [inUse] : [new LinuxProcessLookup({ sockDiag: null }), inUse];
  let current: { lookup: LinuxProcessLookup; times: number[]; pids: number[] } | undefined;
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    if (!current) return; // a held connection: left open
    const { lookup, times, pids } = current;
    const client = { address: s.remoteAddress!, port: s.remotePort! };
    const started = performance.now();
    // As the router asks today: the client's end and our port (our address is not passed).
    void lookup.lookup(client, port).then((info) => {
      times.push(performance.now() - started);
      pids.push(info?.pid ?? -1);
      lookup.forget(client);
      s.destroy();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const holders = [startHolder(port, heldTotal / 2, freshPerHolder), startHolder(port, heldTotal / 2, freshPerHolder)];
  try {
    await Promise.all(holders.map((h) => h.line('READY')));
    while (accepted < heldTotal) await new Promise((r) => setTimeout(r, 10));
    const ids = new Set(holders.map((h) => h.child.pid));
    const paths: LookupPathRun[] = [];
    for (const [i, lookup] of lookups.entries()) {
      const search = lookup.search;
      const tableSockets = fs.readFileSync('/proc/net/tcp', 'latin1').trim().split('\n').length - 1;
      const { socketTimes, ownerTimes } = timedLookup(lookup);
      const times: number[] = [];
      const pids: number[] = [];
      current = { lookup, times, pids };
      for (const h of holders) h.child.stdin!.write('go\n');
      await Promise.all(holders.map((h) => h.line(`DONE ${i + 1}`)));
      while (times.length < 2 * freshPerHolder) await new Promise((r) => setTimeout(r, 10));
      current = undefined;
      const q = quantiles(times);
      const sq = quantiles(socketTimes);
      const oq = quantiles(ownerTimes);
      paths.push({
        search,
        inUse: lookup === inUse,
        tableSockets,
        lookups: times.length,
        wrong: pids.filter((p) => !ids.has(p)).length,
        firstMs: times[0]!,
        ms: { p50: q(0.5), p99: q(0.99), max: q(1), mean: times.reduce((a, b) => a + b, 0) / times.length },
        socketMs: { p50: sq(0.5), p99: sq(0.99) },
        ownerMs: { p50: oq(0.5), p99: oq(0.99) },
        searches: lookup.socketSearches,
        linksRead: lookup.owners.linksRead,
      });
    }
    return { ownNetns, heldConnections: heldTotal, paths };
  } finally {
    for (const h of holders) h.child.kill('SIGKILL');
    server.close();
  }
}
