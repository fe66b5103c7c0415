import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import type { BenchContext, Check, Scenario, ScenarioReport, Table } from '../scenario.js';
import type { BenchConfig } from '../lib/config.js';
import { startBenchTarget, type BenchTarget } from '../targets.js';
import { NotAvailableError, startSsLocal, startSsServer, startSwitchyard, startV2rayWith, type ProxyUnderTest } from '../peers.js';
import { connectionRate, curlDownload, parallelDownload, readMemory, sleep, type Memory } from '../lib/measure.js';
import { fmt, ratio } from '../lib/report.js';
import { median, step, summarize, type RoundFigures, type Summary } from './core.js';

/**
 * Encrypted outbounds against the clients people use today, the same load through each in one run:
 *   client → switchyard mixed port → ss aes-128-gcm      → ss-server → target
 *   client → v2ray socks inbound   → shadowsocks outbound → ss-server → target   (the same ss-server)
 *   client → ss-local                                     → ss-server → target   (the same ss-server)
 *   client → switchyard mixed port → vmess aes-128-gcm    → v2ray vmess inbound → target
 *   client → v2ray socks inbound   → vmess outbound       → v2ray vmess inbound → target   (the same server)
 * Loads as in the core scenario (curl for 1 and N streams, bench/native/loadgen speaking SOCKS5 to the
 * client-side proxy for conn/s), in BENCH_ROUNDS interleaved rounds, medians reported. Besides the rates it
 * samples the CPU time of the client-side proxy and of the server around each load (/proc/<pid>/stat):
 * every subject shares 2 cores with a single-threaded ss-server, so CPU per MiB shows what a ratio near 1
 * hides, and the server's CPU shows when the server, not the client, is the limit.
 */
type SubjectId = 'switchyard-ss' | 'v2ray-ss' | 'ss-local' | 'switchyard-vmess' | 'v2ray-vmess';
type Family = 'shadowsocks' | 'vmess';

const SS_KEY = { cipher: 'aes-128-gcm', password: crypto.randomBytes(12).toString('hex') };
const VMESS_UUID = crypto.randomUUID();
const VMESS_SECURITY = 'aes-128-gcm';

interface Server {
  label: string;
  start(ctx: BenchContext): Promise<ProxyUnderTest>;
}

const servers: Record<Family, Server> = {
  shadowsocks: { label: `ss-server (${SS_KEY.cipher})`, start: () => startSsServer(SS_KEY) },
  vmess: {
    label: 'v2ray vmess inbound',
    // AEAD forced, so a client falling back to the legacy header fails instead of being measured.
    start: (ctx) =>
      startV2rayWith(ctx.workDir, {
        inbound: { protocol: 'vmess', settings: { clients: [{ id: VMESS_UUID, alterId: 0 }] } },
        env: { V2RAY_VMESS_AEAD_FORCED: 'true' },
      }),
  },
};

interface Subject {
  id: SubjectId;
  label: string;
  family: Family;
  start(ctx: BenchContext, serverPort: number): Promise<ProxyUnderTest>;
}

const subjects: Subject[] = [
  {
    id: 'switchyard-ss',
    label: `switchyard → ss ${SS_KEY.cipher}`,
    family: 'shadowsocks',
    start: (ctx, port) => startSwitchyard(ctx.workDir, { kind: 'proxy', proxy: { name: 'ss', type: 'ss', server: '127.0.0.1', port, ...SS_KEY } }),
  },
  {
    id: 'v2ray-ss',
    label: 'v2ray (socks → shadowsocks)',
    family: 'shadowsocks',
    start: (ctx, port) =>
      startV2rayWith(ctx.workDir, {
        outbound: { protocol: 'shadowsocks', settings: { servers: [{ address: '127.0.0.1', port, method: SS_KEY.cipher, password: SS_KEY.password }] } },
      }),
  },
  { id: 'ss-local', label: 'ss-local', family: 'shadowsocks', start: (_ctx, port) => startSsLocal(port, SS_KEY) },
  {
    id: 'switchyard-vmess',
    label: `switchyard → vmess ${VMESS_SECURITY}`,
    family: 'vmess',
    start: (ctx, port) =>
      startSwitchyard(ctx.workDir, {
        kind: 'proxy',
        proxy: { name: 'vmess', type: 'vmess', server: '127.0.0.1', port, uuid: VMESS_UUID, alterId: 0, cipher: VMESS_SECURITY },
      }),
  },
  {
    id: 'v2ray-vmess',
    label: 'v2ray (socks → vmess)',
    family: 'vmess',
    start: (ctx, port) =>
      startV2rayWith(ctx.workDir, {
        outbound: {
          protocol: 'vmess',
          settings: { vnext: [{ address: '127.0.0.1', port, users: [{ id: VMESS_UUID, alterId: 0, security: VMESS_SECURITY }] }] },
        },
      }),
  },
];

/** [subject, baselines]: the rows of the ratio table. */
const comparisons: [SubjectId, SubjectId[]][] = [
  ['switchyard-ss', ['v2ray-ss', 'ss-local']],
  ['v2ray-ss', ['ss-local']],
  ['switchyard-vmess', ['v2ray-vmess']],
];

/** Targets from the issue: a higher figure than the named peer, each checked separately. */
const TARGETS: { subject: SubjectId; peer: SubjectId; metric: 'single' | 'parallel' | 'rate'; atLeast: number }[] = [
  { subject: 'switchyard-ss', peer: 'v2ray-ss', metric: 'single', atLeast: 1.0 },
  { subject: 'switchyard-ss', peer: 'v2ray-ss', metric: 'parallel', atLeast: 1.0 },
  { subject: 'switchyard-ss', peer: 'v2ray-ss', metric: 'rate', atLeast: 1.0 },
  { subject: 'switchyard-ss', peer: 'ss-local', metric: 'single', atLeast: 1.0 },
  { subject: 'switchyard-ss', peer: 'ss-local', metric: 'parallel', atLeast: 1.0 },
  { subject: 'switchyard-vmess', peer: 'v2ray-vmess', metric: 'single', atLeast: 1.0 },
  { subject: 'switchyard-vmess', peer: 'v2ray-vmess', metric: 'parallel', atLeast: 1.0 },
  { subject: 'switchyard-vmess', peer: 'v2ray-vmess', metric: 'rate', atLeast: 1.0 },
];

const MiB = 1024 * 1024;
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux architecture Node runs on

/** user + system CPU seconds of a process, all its threads, from /proc/<pid>/stat. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND; // utime, stime (fields 14, 15)
}

interface CpuSample {
  clientSeconds: number;
  serverSeconds: number;
  wallSeconds: number;
}

/** Runs `fn` and reports the CPU the client-side proxy and the server spent meanwhile. */
async function withCpu<T>(clientPid: number, serverPid: number, fn: () => Promise<T>): Promise<{ value: T; cpu: CpuSample }> {
  const [c0, s0] = await Promise.all([cpuSeconds(clientPid), cpuSeconds(serverPid)]);
  const t0 = performance.now();
  const value = await fn();
  const wallSeconds = (performance.now() - t0) / 1000;
  const [c1, s1] = await Promise.all([cpuSeconds(clientPid), cpuSeconds(serverPid)]);
  return { value, cpu: { clientSeconds: c1 - c0, serverSeconds: s1 - s0, wallSeconds } };
}

interface ProtocolRound extends RoundFigures {
  cpu: { single?: CpuSample; parallel?: CpuSample; rate?: CpuSample };
}

interface CpuSummary {
  clientMsPerMiB?: number;
  clientUsPerConnection?: number;
  serverPercentSingle?: number;
  serverPercentParallel?: number;
}

export interface ProtocolResult {
  id: SubjectId;
  label: string;
  family: Family;
  server: string;
  status: 'measured' | 'unavailable' | 'failed';
  reason?: string;
  rssStartMiB?: number;
  rounds: ProtocolRound[];
  summary: Summary;
  cpu: CpuSummary;
  memory?: Memory;
  failures: Record<string, string>;
  exit?: { code: number | null; signal: string | null };
}

interface Running {
  proxy: ProxyUnderTest | null;
  server: ProxyUnderTest | null;
  result: ProtocolResult;
}

async function runRound(run: Running, round: number, target: BenchTarget, ctx: BenchContext): Promise<void> {
  const { config } = ctx;
  const proxy = run.proxy!;
  const serverPid = run.server!.pid;
  const of = config.rounds > 1 ? `, round ${round + 1}` : '';
  const bulk = config.bulkMiB * MiB;
  const timeoutMs = Math.max(60_000, (config.bulkMiB / 10) * 1000); // fails below 10 MiB/s
  const figures: ProtocolRound = { cpu: {} };
  const single = await step(run, `1 connection${of}`, ctx, () =>
    withCpu(proxy.pid, serverPid, () => curlDownload(target.url(`/bytes/${bulk}`), bulk, proxy.port, timeoutMs)),
  );
  [figures.single, figures.cpu.single] = [single?.value, single?.cpu];
  const each = Math.floor(bulk / config.streams);
  const parallel = await step(run, `${config.streams} connections${of}`, ctx, () =>
    withCpu(proxy.pid, serverPid, () => parallelDownload(target.url(`/bytes/${each}`), each, config.streams, proxy.port, timeoutMs)),
  );
  [figures.parallel, figures.cpu.parallel] = [parallel?.value, parallel?.cpu];
  const tools = await ctx.tools();
  const rate = await step(run, `connections/s${of}`, ctx, () =>
    withCpu(proxy.pid, serverPid, () =>
      connectionRate(tools.loadgen, target.port, proxy.port, {
        concurrency: config.concurrency,
        seconds: config.seconds,
        threads: config.loadgenThreads,
        warmupSeconds: config.warmupSeconds,
      }),
    ),
  );
  [figures.rate, figures.cpu.rate] = [rate?.value, rate?.cpu];
  run.result.rounds.push(figures);
}

function summarizeCpu(rounds: ProtocolRound[], config: BenchConfig): CpuSummary {
  const bulkMiB = (r: ProtocolRound) => (r.single && r.cpu.single ? config.bulkMiB : 0) + (r.parallel && r.cpu.parallel ? r.parallel.bytes / MiB : 0);
  const bulkClient = (r: ProtocolRound) => (r.single ? (r.cpu.single?.clientSeconds ?? 0) : 0) + (r.parallel ? (r.cpu.parallel?.clientSeconds ?? 0) : 0);
  const percent = (s: CpuSample | undefined) => (s ? (s.serverSeconds / s.wallSeconds) * 100 : undefined);
  return {
    clientMsPerMiB: median(rounds.map((r) => (bulkMiB(r) > 0 ? (bulkClient(r) * 1000) / bulkMiB(r) : undefined))),
    // The loadgen counts only the measured window; the warm-up's connections ran at about the same rate.
    clientUsPerConnection: median(
      rounds.map((r) => (r.rate && r.cpu.rate ? (r.cpu.rate.clientSeconds * 1e6) / (r.rate.perSecond * (config.seconds + config.warmupSeconds)) : undefined)),
    ),
    serverPercentSingle: median(rounds.map((r) => (r.single ? percent(r.cpu.single) : undefined))),
    serverPercentParallel: median(rounds.map((r) => (r.parallel ? percent(r.cpu.parallel) : undefined))),
  };
}

interface Metric {
  column: string;
  value(r: ProtocolResult): number | undefined;
  step: string;
}

function metrics(config: BenchConfig): Metric[] {
  return [
    { column: '1 conn MiB/s', value: (r) => r.summary.singleMiBps, step: '1 connection' },
    { column: `${config.streams} conn MiB/s`, value: (r) => r.summary.parallelMiBps, step: `${config.streams} connections` },
    { column: 'conn/s', value: (r) => r.summary.connPerSec, step: 'connections/s' },
    { column: 'TTFB p50 ms', value: (r) => r.summary.ttfbP50Ms, step: 'connections/s' },
    { column: 'TTFB p99 ms', value: (r) => r.summary.ttfbP99Ms, step: 'connections/s' },
    { column: 'client CPU ms/MiB', value: (r) => r.cpu.clientMsPerMiB, step: '1 connection' },
    { column: 'client CPU µs/conn', value: (r) => r.cpu.clientUsPerConnection, step: 'connections/s' },
    { column: 'server CPU %, 1 conn', value: (r) => r.cpu.serverPercentSingle, step: '1 connection' },
    { column: `server CPU %, ${config.streams} conn`, value: (r) => r.cpu.serverPercentParallel, step: `${config.streams} connections` },
    { column: 'RSS at start MiB', value: (r) => r.rssStartMiB, step: 'start' },
    { column: 'peak RSS MiB', value: (r) => r.memory?.peakRssMiB, step: 'memory' },
  ];
}

function cell(r: ProtocolResult, m: Metric): string {
  const v = m.value(r);
  if (v !== undefined) return fmt(v);
  return Object.keys(r.failures).some((k) => k.startsWith(m.step)) ? 'failed' : '—';
}

function absoluteTable(results: ProtocolResult[], config: BenchConfig): Table {
  const ms = metrics(config);
  const notes = [`median of ${config.rounds} interleaved round${config.rounds > 1 ? 's' : ''} per subject; RSS and CPU are the client-side proxy's, except server CPU (% of one core)`];
  const rows = results.map((r) => {
    const label = `${r.label} → ${r.server}`;
    if (r.status !== 'measured') {
      notes.push(`${label}: ${r.reason}`);
      return [label, r.status === 'unavailable' ? 'not available' : 'failed to start', ...ms.slice(1).map(() => '—')];
    }
    for (const [name, err] of Object.entries(r.failures)) notes.push(`${label}, ${name}: ${err}`);
    if (r.summary.rateErrors > 0) notes.push(`${label}: ${r.summary.rateErrors} failed connections in the rate runs (e.g. ${r.summary.rateErrorSample})`);
    if (r.exit?.signal === 'SIGKILL') notes.push(`${label}: did not exit after SIGTERM and was killed`);
    return [label, ...ms.map((m) => cell(r, m))];
  });
  return { title: 'protocols: absolute figures', columns: ['subject', ...ms.map((m) => m.column)], rows, notes };
}

function ratioTable(results: ProtocolResult[], config: BenchConfig): Table {
  // Server CPU is the server's, not the subject's: no ratio.
  const ms = metrics(config).filter((m) => !m.column.startsWith('server CPU'));
  const byId = new Map(results.map((r) => [r.id, r]));
  const rows: string[][] = [];
  for (const [id, bases] of comparisons) {
    const r = byId.get(id);
    for (const baseId of bases) {
      const base = byId.get(baseId);
      if (!r || !base) continue;
      rows.push([`${r.label} ÷ ${base.label}`, ...ms.map((m) => ratio(m.value(r), m.value(base)))]);
    }
  }
  return {
    title: 'protocols: ratios',
    columns: ['subject ÷ baseline', ...ms.map((m) => m.column)],
    rows,
    notes: ['higher is better for MiB/s and conn/s; lower is better for TTFB, CPU and RSS'],
  };
}

function checks(results: ProtocolResult[], config: BenchConfig): Check[] {
  const byId = new Map(results.map((r) => [r.id, r]));
  const what = {
    single: { name: '1-connection throughput', value: (r: ProtocolResult) => r.summary.singleMiBps, unit: ' MiB/s' },
    parallel: { name: `${config.streams}-connection throughput`, value: (r: ProtocolResult) => r.summary.parallelMiBps, unit: ' MiB/s' },
    rate: { name: 'connections/s', value: (r: ProtocolResult) => r.summary.connPerSec, unit: '/s' },
  };
  return TARGETS.map(({ subject, peer, metric, atLeast }) => {
    const r = byId.get(subject);
    const p = byId.get(peer);
    const m = what[metric];
    const name = `${r?.label ?? subject}, ${m.name} ≥ ${atLeast}× ${p?.label ?? peer}`;
    const missing = [r, p].find((x) => x?.status !== 'measured');
    if (missing) return { name, status: missing.status === 'unavailable' ? 'PENDING' : 'FAIL', detail: `${missing.label}: ${missing.reason}` } satisfies Check;
    const v = m.value(r!);
    const goal = m.value(p!);
    if (v === undefined || goal === undefined) return { name, status: 'FAIL', detail: 'not measured (see the notes above)' } satisfies Check;
    return { name, status: v >= goal * atLeast ? 'PASS' : 'FAIL', detail: `${fmt(v)}${m.unit} vs ${fmt(goal)}${m.unit} (${ratio(v, goal)})` } satisfies Check;
  });
}

async function startAll(ctx: BenchContext, started: ProxyUnderTest[]): Promise<Running[]> {
  const serverOf = new Map<Family, { proxy: ProxyUnderTest | null; reason?: string; unavailable?: boolean }>();
  for (const [family, server] of Object.entries(servers) as [Family, Server][]) {
    ctx.log(`protocols: starting ${server.label}`);
    try {
      const proxy = await server.start(ctx);
      started.push(proxy);
      serverOf.set(family, { proxy });
    } catch (err) {
      serverOf.set(family, { proxy: null, reason: `${server.label}: ${(err as Error).message}`, unavailable: err instanceof NotAvailableError });
    }
  }
  const runs: Running[] = [];
  for (const subject of subjects) {
    const server = serverOf.get(subject.family)!;
    const { id, label, family } = subject;
    const result: ProtocolResult = { id, label, family, server: servers[family].label, status: 'measured', rounds: [], summary: { rateErrors: 0 }, cpu: {}, failures: {} };
    const run: Running = { proxy: null, server: server.proxy, result };
    runs.push(run);
    if (!server.proxy) {
      [result.status, result.reason] = [server.unavailable ? 'unavailable' : 'failed', server.reason];
      continue;
    }
    ctx.log(`protocols: starting ${subject.label}`);
    try {
      run.proxy = await subject.start(ctx, server.proxy.port);
      started.push(run.proxy);
    } catch (err) {
      [result.status, result.reason] = [err instanceof NotAvailableError ? 'unavailable' : 'failed', (err as Error).message];
      ctx.log(`  ${subject.label}: ${result.reason}`);
      continue;
    }
    await sleep(300);
    result.rssStartMiB = (await step(run, 'start', ctx, () => readMemory(run.proxy!.pid)))?.rssMiB;
  }
  return runs;
}

interface ProtocolsState {
  target: BenchTarget;
}

export const protocols: Scenario<ProtocolsState> = {
  name: 'protocols',
  description: 'Shadowsocks aes-128-gcm vs v2ray and ss-local, VMess aes-128-gcm vs v2ray: throughput (1 and N connections), conn/s, CPU and RSS',
  async setup(ctx) {
    const tools = await ctx.tools();
    return { target: await startBenchTarget(tools.target) };
  },
  async measure({ target }, ctx) {
    const started: ProxyUnderTest[] = [];
    let runs: Running[] = [];
    try {
      runs = await startAll(ctx, started);
      const measured = runs.filter((r) => r.result.status === 'measured');
      for (let round = 0; round < ctx.config.rounds; round++) {
        ctx.log(`protocols: round ${round + 1} of ${ctx.config.rounds}`);
        for (let i = 0; i < measured.length; i++) {
          await runRound(measured[(i + round) % measured.length]!, round, target, ctx);
          await sleep(500); // let the previous subject's closing connections drain
        }
      }
      for (const run of measured) {
        run.result.summary = summarize(run.result.rounds);
        run.result.cpu = summarizeCpu(run.result.rounds, ctx.config);
        run.result.memory = await step(run, 'memory', ctx, () => readMemory(run.proxy!.pid));
      }
    } finally {
      // Clients first, then the servers they talk to.
      for (const run of runs) {
        if (!run.proxy) continue;
        const exit = await run.proxy.stop();
        run.result.exit = { code: exit.code, signal: exit.signal };
      }
      const clients = new Set(runs.map((r) => r.proxy));
      await Promise.all(started.filter((p) => !clients.has(p)).map((p) => p.stop()));
    }
    const results = runs.map((r) => r.result);
    return {
      tables: [absoluteTable(results, ctx.config), ratioTable(results, ctx.config)],
      checks: checks(results, ctx.config),
      data: { subjects: results },
    } satisfies ScenarioReport;
  },
  async teardown(state) {
    await state.target.stop();
  },
};
