/**
 * Rules engine cost, two figures from the issue:
 * - matching: 10,000 rules of mixed types (rules-match.ts), cost per connection, target under 20 µs p99;
 * - process lookup (rules-lookup.ts): with 1,000 sockets open, the time to name the program behind a new
 *   connection, target under 2 ms p99.
 * Each half runs in a child process of its own. The lookup runs where the TCP table holds only its own
 * sockets when it can (as root: a network namespace whose TCP hash is its own, sized as this host's, and
 * once more with a small hash), and also in this namespace as it is, whatever other work left in the table.
 *
 * Runs under the harness (`npm run bench -- rules`) or alone: node --import tsx bench/scenarios/rules.ts
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext, Check, Scenario, ScenarioReport } from '../scenario.js';
import { runBounded } from '../lib/children.js';
import { fmt, renderChecks, renderTable } from '../lib/report.js';
import type { MatchRun } from './rules-match.js';
import type { LookupRun } from './rules-lookup.js';

const MATCH_TARGET_US = 20;
const LOOKUP_TARGET_MS = 2;
const self = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(self), '../..');

interface LookupSetup {
  label: string;
  run?: LookupRun;
  skipped?: string;
}

/** The host's TCP hash size, so the private one walks as many buckets as a real table here would. */
function hostHashBuckets(): number {
  try {
    const n = Number(fs.readFileSync('/proc/sys/net/ipv4/tcp_ehash_entries', 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : 65536;
  } catch {
    return 65536;
  }
}

async function child(args: string[], wrap: string[] = []): Promise<unknown> {
  const node = [process.execPath, '--import', 'tsx', self, ...args];
  const [cmd, ...rest] = wrap.length ? [...wrap, ...node] : node;
  const res = await runBounded(cmd!, rest, 300_000, { cwd: root });
  if (res.code !== 0 || res.timedOut) throw new Error(`${args[0]} child ${res.timedOut ? 'timed out' : `exited ${res.code}`}: ${res.stderr.trim().slice(-1500)}`);
  return JSON.parse(res.stdout.trim().split('\n').at(-1)!);
}

/**
 * unshare twice: the outer namespace sets the hash size its children get (net.ipv4.tcp_child_ehash_entries,
 * Linux 6.1+, changing nothing outside), the inner one has that private hash and only loopback up.
 */
function privateNetns(buckets: number): string[] {
  const inner = `ip link set lo up && exec "$@"`;
  const outer = `sysctl -qw net.ipv4.tcp_child_ehash_entries=${buckets} && exec unshare -n sh -c '${inner}' sh "$@"`;
  return ['unshare', '-n', 'sh', '-c', outer, 'sh'];
}

async function lookups(ctx: BenchContext): Promise<LookupSetup[]> {
  const buckets = hostHashBuckets();
  const setups: LookupSetup[] = [];
  if (process.platform !== 'linux') return [{ label: 'process lookup', skipped: 'Linux only' }];
  // The host-sized hash is the check; a small one shows what the walk of empty buckets costs.
  for (const size of [buckets, 4096]) {
    const own: LookupSetup = { label: `own network namespace, private TCP hash of ${size.toLocaleString('en-US')} buckets` };
    try {
      ctx.log(`rules: process lookup in ${own.label}`);
      own.run = (await child(['lookup', '1'], privateNetns(size))) as LookupRun;
    } catch (err) {
      own.skipped = `could not make a network namespace (needs root and Linux 6.1+): ${(err as Error).message.split('\n')[0]}`;
    }
    setups.push(own);
  }
  const shared: LookupSetup = { label: 'this namespace as it is' };
  ctx.log(`rules: process lookup in ${shared.label}`);
  shared.run = (await child(['lookup', '0'])) as LookupRun;
  setups.push(shared);
  return setups;
}

export const rules: Scenario<null> = {
  name: 'rules',
  description: 'rules engine: matching cost over 10,000 mixed rules (p99 < 20 µs); process lookup with 1,000 sockets open (p99 < 2 ms)',

  async setup() {
    return null;
  },

  async measure(_state, ctx) {
    ctx.log('rules: matching 100,000 connections against 10,000 rules');
    const match = (await child(['match'])) as MatchRun;
    const setups = await lookups(ctx);
    const checks: Check[] = [
      {
        name: `rule matching p99 under ${MATCH_TARGET_US} µs with ${match.rules.toLocaleString('en-US')} rules`,
        status: match.indexedUs.p99 < MATCH_TARGET_US ? 'PASS' : 'FAIL',
        detail: `p50 ${fmt(match.indexedUs.p50)} µs, p99 ${fmt(match.indexedUs.p99)} µs over ${match.connections.toLocaleString('en-US')} connections`,
      },
      {
        name: 'indexed matching decides as a linear scan does',
        status: match.mismatches === 0 ? 'PASS' : 'FAIL',
        detail: `${match.mismatches} differences over the first 5,000 connections`,
      },
    ];
    const main = setups[0]!;
    if (main.run) {
      checks.push(
        {
          name: `process lookup p99 under ${LOOKUP_TARGET_MS} ms with ${main.run.tableSockets.toLocaleString('en-US')} sockets open (${main.label})`,
          status: main.run.ms.p99 < LOOKUP_TARGET_MS ? 'PASS' : 'FAIL',
          detail: `p50 ${fmt(main.run.ms.p50)} ms, p99 ${fmt(main.run.ms.p99)} ms; the kernel's table alone p99 ${fmt(main.run.tableMs.p99)} ms, the owner in /proc p99 ${fmt(main.run.ownerMs.p99)} ms`,
        },
        {
          name: 'every lookup named the process that connected',
          status: main.run.wrong === 0 ? 'PASS' : 'FAIL',
          detail: `${main.run.wrong} of ${main.run.lookups} wrong or missing`,
        },
      );
    } else checks.push({ name: `process lookup p99 under ${LOOKUP_TARGET_MS} ms`, status: 'PENDING', detail: main.skipped ?? 'not run' });

    const lookupRows = setups.map((s) =>
      s.run
        ? [
            s.label,
            s.run.tableSockets.toLocaleString('en-US'),
            String(s.run.lookups),
            fmt(s.run.ms.p50),
            fmt(s.run.ms.p99),
            fmt(s.run.ms.max),
            `${fmt(s.run.tableMs.p50)} / ${fmt(s.run.tableMs.p99)}`,
            `${fmt(s.run.ownerMs.p50)} / ${fmt(s.run.ownerMs.p99)}`,
            fmt(s.run.firstMs),
            String(s.run.wrong),
          ]
        : [s.label, '—', '—', '—', '—', '—', '—', '—', '—', s.skipped ?? ''],
    );
    const report: ScenarioReport = {
      tables: [
        {
          title: 'Rule matching, 10,000 rules',
          columns: ['matcher', 'p50 µs', 'p99 µs', 'p99.9 µs', 'max µs', 'mean µs'],
          rows: [
            ['indexed (RuleSet)', fmt(match.indexedUs.p50), fmt(match.indexedUs.p99), fmt(match.indexedUs.p999), fmt(match.indexedUs.max), fmt(match.indexedUs.mean)],
            ['linear scan (reference, 5,000 connections)', fmt(match.linearUs.p50), fmt(match.linearUs.p99), '—', fmt(match.linearUs.max), '—'],
          ],
          notes: [
            `mix: ${Object.entries(match.mix).map(([t, n]) => `${n} ${t}`).join(', ')}, then MATCH; compiled and indexed in ${fmt(match.compileMs)} ms.`,
            `each connection timed alone, from building its match input (parsing its addresses) to the answer; ${match.fellThrough.toLocaleString('en-US')} of them matched nothing before MATCH, the most expensive case. Process and resolved addresses are given (their lookups are measured below).`,
          ],
        },
        {
          title: 'Process lookup, 1,000 sockets open',
          columns: ['where', 'TCP sockets in table', 'lookups', 'p50 ms', 'p99 ms', 'max ms', 'table p50 / p99 ms', 'owner p50 / p99 ms', 'first ms', 'wrong'],
          rows: lookupRows,
          notes: [
            'two holder processes keep 500 connections open to a server (1,000 sockets), then each opens and closes 150 new ones, one at a time; the server looks up each new one with LinuxProcessLookup.',
            'table: finding the socket in /proc/net/tcp, a walk of the kernel TCP hash (every bucket, TIME_WAIT included; stops once found) that costs the same whoever asks; owner: finding the pid in /proc/<pid>/fd from what earlier lookups read.',
            'the table walk is the floor of this method: the kernel hands the table out a page per read and walks every hash bucket. Netlink sock_diag would find one socket directly, but Node has no netlink socket.',
            'first: the first lookup, which reads every process of the user once.',
          ],
        },
      ],
      checks,
      data: { match, lookups: setups },
    };
    return report;
  },

  async teardown() {},
};

async function standalone(): Promise<void> {
  const ctx: BenchContext = {
    config: {} as BenchContext['config'],
    workDir: process.cwd(),
    tools: () => Promise.reject(new Error('the rules scenario needs no native tools')),
    log: (m) => console.error(`[bench] ${m}`),
  };
  const report = await rules.measure(null, ctx);
  for (const table of report.tables) console.log(`${renderTable(table)}\n`);
  console.log(`${renderChecks(report.checks)}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === self) {
  const [mode, arg] = process.argv.slice(2);
  const main = async () => {
    if (mode === 'match') {
      const { runMatch } = await import('./rules-match.js');
      process.stdout.write(`${JSON.stringify(runMatch())}\n`);
    } else if (mode === 'lookup') {
      const { runLookup } = await import('./rules-lookup.js');
      process.stdout.write(`${JSON.stringify(await runLookup(arg === '1'))}\n`);
    } else await standalone();
  };
  main().then(
    () => process.exit(0),
    (err: Error) => {
      console.error(err.stack ?? String(err));
      process.exit(1);
    },
  );
}
