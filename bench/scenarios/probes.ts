/**
 * Probe scheduling at scale: one latency round over N socks5 members (default 500) whose upstream answers
 * each CONNECT after a fixed delay (default 100 ms), with the probe concurrency cap at 32.
 *
 *   core child: Probes.testPool → 500 × socks5 outbound → controlled SOCKS5 server (+100 ms) → HTTP target
 *
 * The ideal wall time is ceil(N / cap) × delay; the figure is the measured time as a ratio to it. The core
 * runs in a child process of its own (this file with `core` as its argument), so its RSS growth during
 * the round is its own, not the harness's or the upstream's.
 *
 * Runs under the harness (`npm run bench -- probes`, once listed in bench/scenarios/index.ts) or alone:
 *   node --import tsx bench/scenarios/probes.ts
 * Settings: BENCH_PROBE_MEMBERS (500), BENCH_PROBE_CONCURRENCY (32), BENCH_PROBE_DELAY_MS (100).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Check, Scenario, ScenarioReport } from '../scenario.js';
import { runBounded } from '../lib/children.js';
import { fmt, ratio } from '../lib/report.js';
import { envNumber } from '../lib/config.js';
import { exitWhenDone, runStandalone } from '../lib/standalone.js';
import { startControlledSocks5, type ControlledSocks5 } from '../../test/helpers/controlled-socks5.js';
import { startHttpTarget, type HttpTarget } from '../../test/helpers/http-target.js';

const MiB = 1024 * 1024;
const TARGET_RATIO = 1.3;
const TARGET_RSS_GROWTH_MIB = 50;

interface Settings {
  members: number;
  concurrency: number;
  delayMs: number;
}

function settings(env: NodeJS.ProcessEnv = process.env): Settings {
  const int = (name: string, fallback: number) => envNumber(env, name, fallback, 1);
  return { members: int('BENCH_PROBE_MEMBERS', 500), concurrency: int('BENCH_PROBE_CONCURRENCY', 32), delayMs: int('BENCH_PROBE_DELAY_MS', 100) };
}

/** What the core child prints, as one JSON line. */
interface CoreRun {
  wallMs: number;
  ok: number;
  failed: number;
  firstError: string | null;
  latencyMs: { min: number; p50: number; max: number };
  rssBaselineMiB: number;
  rssPeakMiB: number;
  rssAfterMiB: number;
}

interface State {
  settings: Settings;
  socks: ControlledSocks5;
  target: HttpTarget;
}

const self = fileURLToPath(import.meta.url);

export const probes: Scenario<State> = {
  name: 'probes',
  description: 'one latency round over 500 socks5 members answering after 100 ms, concurrency 32: wall time vs ideal, core RSS growth',

  async setup() {
    const s = settings();
    const target = await startHttpTarget();
    const socks = await startControlledSocks5({ delayMs: s.delayMs });
    return { settings: s, socks, target };
  },

  async measure(state, ctx) {
    const { members, concurrency, delayMs } = state.settings;
    const idealMs = Math.ceil(members / concurrency) * delayMs;
    ctx.log(`probes: ${members} members, cap ${concurrency}, ${delayMs} ms each; ideal ${idealMs} ms`);
    state.socks.resetCounters();
    const timeoutMs = idealMs * 5 + 30_000;
    const args = ['--expose-gc', '--import', 'tsx', self, 'core', String(state.socks.port), String(state.target.port), String(members), String(concurrency)];
    const res = await runBounded(process.execPath, args, timeoutMs, { cwd: path.resolve(path.dirname(self), '../..') });
    if (res.code !== 0 || res.timedOut) throw new Error(`probe core ${res.timedOut ? 'timed out' : `exited ${res.code}`}: ${res.stderr.trim().slice(-2000)}`);
    const run = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as CoreRun;
    const growth = run.rssPeakMiB - run.rssBaselineMiB;
    const measuredRatio = run.wallMs / idealMs;
    // The warm-up round probes members too; the measured round alone is `members` CONNECTs.
    const serverMax = state.socks.maxPending;

    const checks: Check[] = [
      {
        name: `probe round within ${TARGET_RATIO}× of ideal`,
        status: measuredRatio <= TARGET_RATIO ? 'PASS' : 'FAIL',
        detail: `${fmt(run.wallMs)} ms for ${members} members = ${measuredRatio.toFixed(2)}× of ceil(${members}/${concurrency}) × ${delayMs} ms = ${idealMs} ms`,
      },
      {
        name: `core RSS growth under ${TARGET_RSS_GROWTH_MIB} MiB`,
        status: growth < TARGET_RSS_GROWTH_MIB ? 'PASS' : 'FAIL',
        detail: `${fmt(run.rssBaselineMiB)} → peak ${fmt(run.rssPeakMiB)} MiB (+${fmt(growth)} MiB)`,
      },
      {
        name: 'every probe succeeded',
        status: run.failed === 0 ? 'PASS' : 'FAIL',
        detail: `${run.ok} ok, ${run.failed} failed${run.firstError ? ` (first: ${run.firstError})` : ''}`,
      },
      {
        name: `concurrency cap held at the server (≤ ${concurrency})`,
        status: serverMax <= concurrency ? 'PASS' : 'FAIL',
        detail: `at most ${serverMax} CONNECTs waiting at once`,
      },
    ];
    const report: ScenarioReport = {
      tables: [
        {
          title: 'Latency round over many members',
          columns: ['members', 'cap', 'delay ms', 'ideal ms', 'wall ms', 'vs ideal', 'latency p50 / max ms', 'RSS start MiB', 'RSS growth MiB', 'max at server'],
          rows: [
            [
              String(members),
              String(concurrency),
              String(delayMs),
              fmt(idealMs),
              fmt(run.wallMs),
              ratio(run.wallMs, idealMs),
              `${fmt(run.latencyMs.p50)} / ${fmt(run.latencyMs.max)}`,
              fmt(run.rssBaselineMiB),
              fmt(growth),
              String(serverMax),
            ],
          ],
          notes: [
            'wall: Probes.testPool over one url-test pool holding every member, after a warm-up round over the first 64; the upstream SOCKS5 server and HTTP target run in the harness process.',
            'RSS: the core child alone, sampled every 10 ms during the round, against its RSS after the warm-up and a GC.',
          ],
        },
      ],
      checks,
      data: { settings: state.settings, idealMs, ratio: measuredRatio, rssGrowthMiB: growth, serverMaxPending: serverMax, serverConnects: state.socks.connects, run },
    };
    return report;
  },

  async teardown(state) {
    await state?.socks.close();
    await state?.target.close();
  },
};

/** The core side, in its own process: N socks5 outbounds in one pool, one warm-up round, one measured round. */
async function runCore(socksPort: number, targetPort: number, members: number, concurrency: number): Promise<void> {
  const { createSocks5 } = await import('../../core/protocol/socks5/index.js');
  const { Pool } = await import('../../core/balance/pool.js');
  const { Probes } = await import('../../core/probe/probes.js');
  const outbounds = Array.from({ length: members }, (_, i) => createSocks5({ name: `m${i}`, type: 'socks5', server: '127.0.0.1', port: socksPort }));
  const pool = new Pool({ name: 'bench', type: 'url-test', members: outbounds });
  const warm = new Pool({ name: 'warm', type: 'url-test', members: outbounds.slice(0, Math.min(64, members)) });
  const settings = { url: `http://127.0.0.1:${targetPort}/hello`, timeoutMs: 10_000, mode: 'http' as const };
  const service = new Probes({
    outbounds: new Map(outbounds.map((o) => [o.name, o])),
    pools: new Map([
      ['bench', pool],
      ['warm', warm],
    ]),
    poolSettings: new Map([
      ['bench', settings],
      ['warm', settings],
    ]),
    concurrency,
  });
  await service.testPool('warm');
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 50));
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  const started = performance.now();
  const results = await service.testPool('bench');
  const wallMs = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  const latencies = results.filter((r) => r.ok).map((r) => r.latencyMs!).sort((a, b) => a - b);
  const failed = results.filter((r) => !r.ok);
  const out: CoreRun = {
    wallMs,
    ok: latencies.length,
    failed: failed.length,
    firstError: failed[0]?.error ? `${failed[0].error.code}: ${failed[0].error.message}` : null,
    latencyMs: { min: latencies[0] ?? NaN, p50: latencies[Math.floor(latencies.length / 2)] ?? NaN, max: latencies.at(-1) ?? NaN },
    rssBaselineMiB: baseline / MiB,
    rssPeakMiB: peak / MiB,
    rssAfterMiB: process.memoryUsage.rss() / MiB,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === self) {
  const [mode, ...rest] = process.argv.slice(2);
  exitWhenDone(mode === 'core' ? runCore(...(rest.map(Number) as [number, number, number, number])) : runStandalone(probes));
}
