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
 */
export interface SubjectResult {
  id: SubjectId;
  label: string;
  status: 'measured' | 'unavailable' | 'failed';
  /** why it is unavailable or failed to start */
  reason?: string;
  idle?: { connections: number; rssBeforeMiB: number; rssMiB: number; kibPerConnection: number };
  single?: Download;
  parallel?: ParallelDownload;
  rate?: ConnectionRate;
  memory?: Memory;
  /** a step that failed while the others ran: step name → error */
  failures: Record<string, string>;
  exit?: { code: number | null; signal: string | null };
}

export type SubjectId = 'direct' | 'microsocks' | 'v2ray' | 'switchyard-direct' | 'switchyard-pool';

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

async function measureSubject(subject: Subject, target: BenchTarget, ctx: BenchContext): Promise<SubjectResult> {
  const { config } = ctx;
  const result: SubjectResult = { id: subject.id, label: subject.label, status: 'measured', failures: {} };
  let proxy: ProxyUnderTest | null = null;
  if (subject.start) {
    try {
      proxy = await subject.start(ctx);
    } catch (err) {
      result.status = err instanceof NotAvailableError ? 'unavailable' : 'failed';
      result.reason = (err as Error).message;
      ctx.log(`  ${subject.label}: ${result.reason}`);
      return result;
    }
  }
  const port = proxy?.port ?? null;
  const step = async <T>(name: string, run: () => Promise<T>): Promise<T | undefined> => {
    ctx.log(`  ${subject.label}: ${name}`);
    try {
      return await run();
    } catch (err) {
      const tail = proxy?.outputTail?.().trim();
      result.failures[name] = (err as Error).message + (tail ? `\n    its last output: ${tail.slice(-500)}` : '');
      ctx.log(`  ${subject.label}: ${name} failed: ${result.failures[name]}`);
      return undefined;
    }
  };
  try {
    // Idle first, on a fresh process: the figure is what 1,000 open tunnels cost, not what the bulk runs left behind.
    if (proxy) result.idle = await step('idle tunnels', () => idleMemory(proxy!, target, config));
    const bulk = config.bulkMiB * MiB;
    const timeoutMs = Math.max(60_000, (config.bulkMiB / 10) * 1000); // fails below 10 MiB/s
    result.single = await step('1 connection', () => curlDownload(target.url(`/bytes/${bulk}`), bulk, port, timeoutMs));
    const each = Math.floor(bulk / config.streams);
    result.parallel = await step(`${config.streams} connections`, () => parallelDownload(target.url(`/bytes/${each}`), each, config.streams, port, timeoutMs));
    result.rate = await step('connections/s', async () => {
      const tools = await ctx.tools();
      return connectionRate(tools.loadgen, target.port, port, {
        concurrency: config.concurrency,
        seconds: config.seconds,
        threads: config.loadgenThreads,
        warmupSeconds: config.warmupSeconds,
      });
    });
    if (proxy) result.memory = await step('memory', () => readMemory(proxy!.pid));
  } finally {
    if (proxy) {
      const exit = await proxy.stop();
      result.exit = { code: exit.code, signal: exit.signal };
    }
  }
  return result;
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
  async measure(state, ctx) {
    const results: SubjectResult[] = [];
    for (const subject of subjects) {
      ctx.log(`core: ${subject.label}`);
      results.push(await measureSubject(subject, state.target, ctx));
      await sleep(1000); // let the previous subject's closing connections drain before the next starts
    }
    return buildCoreReport(results, ctx.config);
  },
  async teardown(state) {
    await state.target.stop();
  },
};
