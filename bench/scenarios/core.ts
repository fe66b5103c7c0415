import type { BenchContext, Scenario } from '../scenario.js';
import type { BenchConfig } from '../lib/config.js';
import { startBenchTarget, type BenchTarget } from '../targets.js';
import { NotAvailableError, startMicrosocks, startSwitchyard, startV2ray, type ProxyUnderTest } from '../peers.js';
import {
  connectionRate,
  curlDownload,
  openIdleTunnels,
  parallelDownload,
  readMemory,
  sleep,
  type ConnectionRate,
  type Download,
  type Memory,
  type ParallelDownload,
} from '../lib/measure.js';
import { buildCoreReport } from './core-report.js';

/**
 * The core data path, the same load through every subject in one run:
 *   single-connection throughput, N parallel downloads, new connections per second with TTFB p50/p99,
 *   RSS with 1,000 idle tunnels, and peak RSS after all of it.
 * Subjects: no proxy (the limit), microsocks, v2ray (socks → freedom), Switchyard's mixed port with a
 * DIRECT outbound, and Switchyard with a round-robin pool of three socks5 upstreams (microsocks each).
 *
 * All subjects are started first; the idle-memory test runs on each fresh process; then the loads run in
 * BENCH_ROUNDS interleaved rounds (each round in a rotated order) and every figure is the median over the
 * rounds. On a shared machine a burst of someone else's work then hits one round of every subject instead
 * of every round of one subject.
 */
export type SubjectId = 'direct' | 'microsocks' | 'v2ray' | 'switchyard-direct' | 'switchyard-pool';

export interface RoundFigures {
  single?: Download;
  parallel?: ParallelDownload;
  rate?: ConnectionRate;
}

/** Medians over the rounds that produced the figure. */
export interface Summary {
  singleMiBps?: number;
  singleTtfbMs?: number;
  parallelMiBps?: number;
  connPerSec?: number;
  ttfbP50Ms?: number;
  ttfbP99Ms?: number;
  /** failed connections in all rate runs together */
  rateErrors: number;
  rateErrorSample?: string;
}

export interface SubjectResult {
  id: SubjectId;
  label: string;
  status: 'measured' | 'unavailable' | 'failed';
  /** why it is unavailable or failed to start */
  reason?: string;
  idle?: { connections: number; rssBeforeMiB: number; rssMiB: number; kibPerConnection: number };
  rounds: RoundFigures[];
  summary: Summary;
  memory?: Memory;
  /** steps that failed: "step" or "step, round n" → error */
  failures: Record<string, string>;
  exit?: { code: number | null; signal: string | null };
}

interface Subject {
  id: SubjectId;
  label: string;
  start: ((ctx: BenchContext) => Promise<ProxyUnderTest>) | null;
}

const subjects: Subject[] = [
  { id: 'direct', label: 'direct (no proxy)', start: null },
  { id: 'microsocks', label: 'microsocks', start: () => startMicrosocks() },
  { id: 'v2ray', label: 'v2ray (socks → freedom)', start: (ctx) => startV2ray(ctx.workDir) },
  { id: 'switchyard-direct', label: 'switchyard → DIRECT', start: (ctx) => startSwitchyard(ctx.workDir, { kind: 'direct' }) },
  { id: 'switchyard-pool', label: 'switchyard → pool of 3 socks5', start: startSwitchyardPool },
];

/** Three microsocks upstreams, then Switchyard balancing over them; stopping it stops all four. */
async function startSwitchyardPool(ctx: BenchContext): Promise<ProxyUnderTest> {
  const upstreams: ProxyUnderTest[] = [];
  try {
    for (let i = 0; i < 3; i++) upstreams.push(await startMicrosocks());
    const switchyard = await startSwitchyard(ctx.workDir, { kind: 'pool', upstreamPorts: upstreams.map((u) => u.port) });
    return {
      ...switchyard,
      stop: async () => {
        const result = await switchyard.stop();
        await Promise.all(upstreams.map((u) => u.stop()));
        return result;
      },
    };
  } catch (err) {
    await Promise.all(upstreams.map((u) => u.stop()));
    throw err;
  }
}

const MiB = 1024 * 1024;

/** A subject being measured: its process (none for the direct baseline) and what it has produced so far. */
interface Running {
  proxy: ProxyUnderTest | null;
  result: SubjectResult;
}

/** What step() needs of a subject (the protocols scenario has subjects of its own shape). */
export interface StepSubject {
  proxy: ProxyUnderTest | null;
  result: { label: string; failures: Record<string, string> };
}

/** Runs one measurement; a failure is recorded against the subject and the run goes on. */
export async function step<T>(run: StepSubject, name: string, ctx: BenchContext, fn: () => Promise<T>): Promise<T | undefined> {
  ctx.log(`  ${run.result.label}: ${name}`);
  try {
    return await fn();
  } catch (err) {
    const tail = run.proxy?.outputTail?.().trim();
    const message = (err as Error).message + (tail ? `\n    its last output: ${tail.slice(-500)}` : '');
    run.result.failures[name] = message;
    ctx.log(`  ${run.result.label}: ${name} failed: ${message}`);
    return undefined;
  }
}

async function start(subject: Subject, ctx: BenchContext): Promise<Running> {
  const result: SubjectResult = { id: subject.id, label: subject.label, status: 'measured', rounds: [], summary: { rateErrors: 0 }, failures: {} };
  if (!subject.start) return { proxy: null, result };
  try {
    return { proxy: await subject.start(ctx), result };
  } catch (err) {
    result.status = err instanceof NotAvailableError ? 'unavailable' : 'failed';
    result.reason = (err as Error).message;
    ctx.log(`  ${subject.label}: ${result.reason}`);
    return { proxy: null, result };
  }
}

async function idleMemory(proxy: ProxyUnderTest, target: BenchTarget, config: BenchConfig): Promise<SubjectResult['idle']> {
  await sleep(300);
  const before = await readMemory(proxy.pid);
  const tunnels = await openIdleTunnels(proxy.port, target.port, config.idleConnections, 60_000);
  try {
    await sleep(500); // let buffers and timers that follow a new connection settle
    const held = await readMemory(proxy.pid);
    return {
      connections: tunnels.open,
      rssBeforeMiB: before.rssMiB,
      rssMiB: held.rssMiB,
      kibPerConnection: ((held.rssMiB - before.rssMiB) * 1024) / tunnels.open,
    };
  } finally {
    tunnels.close();
    await sleep(300);
  }
}

async function runRound(run: Running, round: number, target: BenchTarget, ctx: BenchContext): Promise<void> {
  const { config } = ctx;
  const port = run.proxy?.port ?? null;
  const of = config.rounds > 1 ? `, round ${round + 1}` : '';
  const bulk = config.bulkMiB * MiB;
  const timeoutMs = Math.max(60_000, (config.bulkMiB / 10) * 1000); // fails below 10 MiB/s
  const figures: RoundFigures = {};
  figures.single = await step(run, `1 connection${of}`, ctx, () => curlDownload(target.url(`/bytes/${bulk}`), bulk, port, timeoutMs));
  const each = Math.floor(bulk / config.streams);
  figures.parallel = await step(run, `${config.streams} connections${of}`, ctx, () =>
    parallelDownload(target.url(`/bytes/${each}`), each, config.streams, port, timeoutMs),
  );
  figures.rate = await step(run, `connections/s${of}`, ctx, async () => {
    const tools = await ctx.tools();
    return connectionRate(tools.loadgen, target.port, port, {
      concurrency: config.concurrency,
      seconds: config.seconds,
      threads: config.loadgenThreads,
      warmupSeconds: config.warmupSeconds,
    });
  });
  run.result.rounds.push(figures);
}

export function median(values: (number | undefined)[]): number | undefined {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1]! + v[mid]!) / 2;
}

export function summarize(rounds: RoundFigures[]): Summary {
  const rates = rounds.map((r) => r.rate).filter((r): r is ConnectionRate => r !== undefined);
  return {
    singleMiBps: median(rounds.map((r) => r.single?.mibPerSec)),
    singleTtfbMs: median(rounds.map((r) => r.single?.ttfbMs)),
    parallelMiBps: median(rounds.map((r) => r.parallel?.mibPerSec)),
    connPerSec: median(rates.map((r) => r.perSecond)),
    ttfbP50Ms: median(rates.map((r) => r.ttfbMs.p50)),
    ttfbP99Ms: median(rates.map((r) => r.ttfbMs.p99)),
    rateErrors: rates.reduce((n, r) => n + r.errors, 0),
    rateErrorSample: rates.find((r) => r.errorSample)?.errorSample ?? undefined,
  };
}

interface CoreState {
  target: BenchTarget;
}

export const core: Scenario<CoreState> = {
  name: 'core',
  description: 'throughput, connections/s, TTFB and memory through the mixed port (DIRECT and a socks5 pool) vs no proxy, microsocks and v2ray',
  async setup(ctx) {
    const tools = await ctx.tools();
    return { target: await startBenchTarget(tools.target) };
  },
  async measure({ target }, ctx) {
    const runs: Running[] = [];
    try {
      for (const subject of subjects) {
        ctx.log(`core: starting ${subject.label}`);
        runs.push(await start(subject, ctx));
      }
      const measured = runs.filter((r) => r.result.status === 'measured');
      // Idle first, on each fresh process: the figure is what 1,000 open tunnels cost, not what bulk runs left behind.
      for (const run of measured) {
        if (run.proxy) run.result.idle = await step(run, 'idle tunnels', ctx, () => idleMemory(run.proxy!, target, ctx.config));
      }
      for (let round = 0; round < ctx.config.rounds; round++) {
        ctx.log(`core: round ${round + 1} of ${ctx.config.rounds}`);
        for (let i = 0; i < measured.length; i++) {
          await runRound(measured[(i + round) % measured.length]!, round, target, ctx);
          await sleep(500); // let the previous subject's closing connections drain
        }
      }
      for (const run of measured) {
        run.result.summary = summarize(run.result.rounds);
        if (run.proxy) run.result.memory = await step(run, 'memory', ctx, () => readMemory(run.proxy!.pid));
      }
    } finally {
      for (const run of runs) {
        if (!run.proxy) continue;
        const exit = await run.proxy.stop();
        run.result.exit = { code: exit.code, signal: exit.signal };
      }
    }
    return buildCoreReport(
      runs.map((r) => r.result),
      ctx.config,
    );
  },
  async teardown(state) {
    await state.target.stop();
  },
};
