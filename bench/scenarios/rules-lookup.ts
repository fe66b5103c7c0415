/**
 * The process-lookup half of the `rules` scenario, run in a child of its own (in a fresh network
 * namespace when it can make one, so the TCP table holds this run's sockets and nobody else's):
 *
 *   2 holder processes ─ 500 idle connections ─▶ server (1,000 sockets open)
 *   the same holders, one new connection at a time ─▶ server: LinuxProcessLookup.lookup, timed
 *
 * Each holder opens and closes its new connections one after another, so descriptor numbers are reused
 * as a browser's are.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { LinuxProcessLookup } from '../../core/route/process/linux.js';

export interface LookupRun {
  /** Whether the run had a network namespace of its own. */
  ownNetns: boolean;
  /** Lines in /proc/net/tcp when measuring: every TCP socket of the namespace, TIME_WAIT included. */
  tableSockets: number;
  heldConnections: number;
  lookups: number;
  /** Lookups that named a process other than the holder that connected, or none. */
  wrong: number;
  firstMs: number;
  ms: { p50: number; p99: number; max: number; mean: number };
  /** The two halves of each lookup: finding the socket in the kernel's table, then its owner in /proc/<pid>/fd. */
  tableMs: { p50: number; p99: number };
  ownerMs: { p50: number; p99: number };
  passes: number;
  linksRead: number;
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
process.stdin.once('data', async () => {
  for (let i = 0; i < fresh; i++) {
    await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', resolve);
      s.on('close', resolve);
      s.resume();
    });
  }
  console.log('DONE');
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

export async function runLookup(ownNetns: boolean, heldTotal = 500, freshPerHolder = 150): Promise<LookupRun> {
  const lookup = new LinuxProcessLookup();
  // Time the halves too, by wrapping them on this instance (the bench's instrument, not the product's).
  const tableTimes: number[] = [];
  const ownerTimes: number[] = [];
  const find = lookup.tcp.find.bind(lookup.tcp);
  lookup.tcp.find = async (local, remotePort) => {
    const t = performance.now();
    const found = await find(local, remotePort);
    tableTimes.push(performance.now() - t);
    return found;
  };
  const owner = lookup.owners.find.bind(lookup.owners);
  lookup.owners.find = (inode, uid) => {
    const t = performance.now();
    const pid = owner(inode, uid);
    ownerTimes.push(performance.now() - t);
    return pid;
  };
  const times: number[] = [];
  const pids: number[] = [];
  let measuring = false;
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    if (!measuring) return; // a held connection: left open
    const client = { address: s.remoteAddress!, port: s.remotePort! };
    const started = performance.now();
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
    const tableSockets = fs.readFileSync('/proc/net/tcp', 'latin1').trim().split('\n').length - 1;
    measuring = true;
    for (const h of holders) h.child.stdin!.write('go\n');
    await Promise.all(holders.map((h) => h.line('DONE')));
    while (times.length < 2 * freshPerHolder) await new Promise((r) => setTimeout(r, 10));
    const ids = new Set(holders.map((h) => h.child.pid));
    const q = quantiles(times);
    const tq = quantiles(tableTimes);
    const oq = quantiles(ownerTimes);
    return {
      ownNetns,
      tableSockets,
      heldConnections: heldTotal,
      lookups: times.length,
      wrong: pids.filter((p) => !ids.has(p)).length,
      firstMs: times[0]!,
      ms: { p50: q(0.5), p99: q(0.99), max: q(1), mean: times.reduce((a, b) => a + b, 0) / times.length },
      tableMs: { p50: tq(0.5), p99: tq(0.99) },
      ownerMs: { p50: oq(0.5), p99: oq(0.99) },
      passes: lookup.tcp.passes + lookup.tcp6.passes,
      linksRead: lookup.owners.linksRead,
    };
  } finally {
    for (const h of holders) h.child.kill('SIGKILL');
    server.close();
  }
}
