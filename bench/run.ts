/**
 * `npm run bench [-- <scenario>...]`: runs the benchmark scenarios (all, or those named), prints one
 * table set per scenario plus PASS/FAIL lines for its targets, and writes bench/results/latest.json.
 * Sizes come from the environment (see bench/lib/config.ts and bench/README.md).
 */
import fs from 'node:fs/promises';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installExitGuards, killAllChildren, onExit } from './lib/children.js';
import { readConfig } from './lib/config.js';
import { buildNativeTools, type NativeTools } from './lib/native.js';
import { renderChecks, renderTable } from './lib/report.js';
import type { BenchContext, Check, ScenarioReport } from './scenario.js';
import { scenarios } from './scenarios/index.js';

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));

function pickScenarios(names: string[]) {
  if (names.length === 0) return scenarios;
  const known = new Map(scenarios.map((s) => [s.name, s]));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${[...known.keys()].join(', ')}`);
  return names.map((n) => known.get(n)!);
}

const log = (m: string) => console.error(`[bench] ${m}`);

/** Figures from a machine busy with other work are low and noisy; say so up front rather than silently. */
function warnIfBusy(): void {
  const [load1] = os.loadavg();
  const cpus = os.cpus().length;
  if (load1! > cpus * 0.5) log(`warning: load average ${load1!.toFixed(2)} on ${cpus} cores — other work will depress every figure; compare ratios within this run`);
}

function machine() {
  const cpus = os.cpus();
  return { cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', kernel: os.release(), node: process.version, loadAverageAtEnd: os.loadavg() };
}

async function main(): Promise<number> {
  installExitGuards();
  const args = process.argv.slice(2);
  if (args.includes('--list')) {
    for (const s of scenarios) console.log(`${s.name.padEnd(12)} ${s.description}`);
    return 0;
  }
  const chosen = pickScenarios(args.filter((a) => !a.startsWith('-')));
  const config = readConfig();
  const watchdog = setTimeout(() => {
    console.error(`bench: still running after ${config.timeoutSeconds} s (BENCH_TIMEOUT_S); killing everything`);
    killAllChildren();
    process.exit(1);
  }, config.timeoutSeconds * 1000);
  watchdog.unref();

  warnIfBusy();
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'switchyard-bench-'));
  onExit(() => rmSync(workDir, { recursive: true, force: true }));
  let tools: Promise<NativeTools> | null = null;
  const ctx: BenchContext = {
    config,
    workDir,
    tools: () => (tools ??= buildNativeTools(workDir)),
    log,
  };
  const startedAt = new Date().toISOString();
  const loadAverageAtStart = os.loadavg();
  const reports: Record<string, ScenarioReport | { error: string }> = {};
  let failed = false;
  try {
    console.error(`[bench] ${chosen.map((s) => s.name).join(', ')} with ${JSON.stringify(config)}`);
    for (const scenario of chosen) {
      let state: unknown;
      try {
        state = await scenario.setup(ctx);
      } catch (err) {
        failed = true;
        reports[scenario.name] = { error: `setup: ${(err as Error).message}` };
        console.error(`[bench] ${scenario.name}: setup failed: ${(err as Error).message}`);
        continue;
      }
      try {
        const report = await scenario.measure(state, ctx);
        reports[scenario.name] = report;
        console.log(`\n## ${scenario.name}: ${scenario.description}\n`);
        for (const table of report.tables) console.log(`${renderTable(table)}\n`);
        if (report.checks.length) console.log(`${renderChecks(report.checks)}\n`);
      } catch (err) {
        failed = true;
        reports[scenario.name] = { error: (err as Error).stack ?? String(err) };
        console.error(`[bench] ${scenario.name}: ${(err as Error).stack}`);
      } finally {
        await scenario.teardown(state, ctx).catch((err: Error) => console.error(`[bench] ${scenario.name}: teardown: ${err.message}`));
      }
    }
  } finally {
    killAllChildren();
    await fs.rm(workDir, { recursive: true, force: true });
  }

  await fs.mkdir(resultsDir, { recursive: true });
  const header = { startedAt, finishedAt: new Date().toISOString(), machine: { ...machine(), loadAverageAtStart }, config };
  const file = path.join(resultsDir, 'latest.json');
  await fs.writeFile(file, JSON.stringify({ ...header, scenarios: reports }, null, 2));
  // One file per scenario as well, so running only `probes` does not lose the last `core` figures.
  for (const [name, report] of Object.entries(reports)) {
    await fs.writeFile(path.join(resultsDir, `${name}.json`), JSON.stringify({ ...header, scenarios: { [name]: report } }, null, 2));
  }
  console.error(`[bench] results written to ${path.relative(process.cwd(), file)} and ${Object.keys(reports).map((n) => `${n}.json`).join(', ')}`);

  const checks: Check[] = Object.values(reports).flatMap((r) => ('checks' in r ? r.checks : []));
  // Targets missed are a result, not a crash; BENCH_STRICT=1 turns them into a failing exit for CI.
  if (process.env.BENCH_STRICT === '1' && checks.some((c) => c.status === 'FAIL')) return 1;
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`bench: ${err.message}`);
    killAllChildren();
    process.exit(1);
  },
);
