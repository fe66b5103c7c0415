import type { Check, ScenarioReport, Table } from '../scenario.js';
import type { BenchConfig } from '../lib/config.js';
import { fmt, ratio } from '../lib/report.js';
import type { SubjectId, SubjectResult } from './core.js';

/** The targets from the issue, checked against the Switchyard rows. */
export const TARGETS = {
  singleVsV2ray: 1.0,
  connRateVsMicrosocks: 1.0,
  idleRssMiB: 80,
};

interface Metric {
  column: string;
  value(r: SubjectResult): number | undefined;
  /** the step (any round of it) whose failure explains an empty cell */
  step: string;
  /** RSS means nothing without a proxy process */
  proxyOnly?: boolean;
}

function metrics(config: BenchConfig): Metric[] {
  return [
    { column: '1 conn MiB/s', value: (r) => r.summary.singleMiBps, step: '1 connection' },
    { column: `${config.streams} conn MiB/s`, value: (r) => r.summary.parallelMiBps, step: `${config.streams} connections` },
    { column: 'conn/s', value: (r) => r.summary.connPerSec, step: 'connections/s' },
    { column: 'TTFB p50 ms', value: (r) => r.summary.ttfbP50Ms, step: 'connections/s' },
    { column: 'TTFB p99 ms', value: (r) => r.summary.ttfbP99Ms, step: 'connections/s' },
    { column: 'RSS at start MiB', value: (r) => r.idle?.rssBeforeMiB, step: 'idle tunnels', proxyOnly: true },
    { column: `RSS, ${config.idleConnections} idle MiB`, value: (r) => r.idle?.rssMiB, step: 'idle tunnels', proxyOnly: true },
    { column: 'peak RSS MiB', value: (r) => r.memory?.peakRssMiB, step: 'memory', proxyOnly: true },
  ];
}

const notAvailable = 'not available yet';

function cell(r: SubjectResult, m: Metric): string {
  if (m.proxyOnly && r.id === 'direct') return '—';
  const v = m.value(r);
  if (v !== undefined) return fmt(v);
  return Object.keys(r.failures).some((k) => k.startsWith(m.step)) ? 'failed' : '—';
}

function absoluteTable(results: SubjectResult[], config: BenchConfig): Table {
  const ms = metrics(config);
  const notes: string[] = [];
  const rows = results.map((r) => {
    if (r.status !== 'measured') {
      notes.push(`${r.label}: ${r.reason}`);
      return [r.label, r.status === 'unavailable' ? notAvailable : 'failed to start', ...ms.slice(1).map(() => '—')];
    }
    for (const [step, err] of Object.entries(r.failures)) notes.push(`${r.label}, ${step}: ${err}`);
    if (r.summary.rateErrors > 0) notes.push(`${r.label}: ${r.summary.rateErrors} failed connections in the rate runs (e.g. ${r.summary.rateErrorSample})`);
    if (r.exit?.signal === 'SIGKILL') notes.push(`${r.label}: did not exit after SIGTERM and was killed`);
    else if (r.exit && r.exit.code !== 0 && r.exit.code !== null) notes.push(`${r.label}: ended with exit code ${r.exit.code} (0 expected on SIGTERM)`);
    return [r.label, ...ms.map((m) => cell(r, m))];
  });
  notes.unshift(`throughput, conn/s and TTFB: median of ${config.rounds} interleaved round${config.rounds > 1 ? 's' : ''} per subject`);
  return { title: 'core: absolute figures', columns: ['subject', ...ms.map((m) => m.column)], rows, notes };
}

/** Which baselines each row is divided by. */
const comparisons: [SubjectId, SubjectId[]][] = [
  ['microsocks', ['direct']],
  ['v2ray', ['direct']],
  ['switchyard-direct', ['v2ray', 'microsocks', 'direct']],
  ['switchyard-pool', ['v2ray', 'microsocks', 'direct']],
];

function ratioTable(results: SubjectResult[], config: BenchConfig): Table {
  const ms = metrics(config);
  const byId = new Map(results.map((r) => [r.id, r]));
  const rows: string[][] = [];
  for (const [id, bases] of comparisons) {
    const r = byId.get(id);
    if (!r) continue;
    for (const baseId of bases) {
      const base = byId.get(baseId);
      if (!base) continue;
      const label = `${r.label} ÷ ${base.label}`;
      if (r.status !== 'measured') {
        rows.push([label, r.status === 'unavailable' ? notAvailable : 'failed to start', ...ms.slice(1).map(() => '—')]);
        continue;
      }
      rows.push([label, ...ms.map((m) => (m.proxyOnly && baseId === 'direct' ? '—' : ratio(m.value(r), m.value(base))))]);
    }
  }
  return {
    title: 'core: ratios',
    columns: ['subject ÷ baseline', ...ms.map((m) => m.column)],
    rows,
    notes: ['higher is better for MiB/s and conn/s; lower is better for TTFB and RSS'],
  };
}

function checks(results: SubjectResult[], config: BenchConfig): Check[] {
  const byId = new Map(results.map((r) => [r.id, r]));
  const v2ray = byId.get('v2ray');
  const microsocks = byId.get('microsocks');
  const direct = byId.get('direct');
  const out: Check[] = [];
  const check = (name: string, subject: SubjectResult | undefined, value: number | undefined, goal: number | undefined, pass: (v: number, g: number) => boolean, say: (v: number, g: number) => string) => {
    if (!subject || subject.status === 'unavailable') return out.push({ name, status: 'PENDING', detail: `${subject?.label ?? 'switchyard'} ${notAvailable}` });
    if (value === undefined || goal === undefined) return out.push({ name, status: 'FAIL', detail: 'not measured (see the notes above)' });
    out.push({ name, status: pass(value, goal) ? 'PASS' : 'FAIL', detail: say(value, goal) });
  };
  const sy = byId.get('switchyard-direct');
  check(
    `switchyard → DIRECT, 1-connection throughput ≥ ${TARGETS.singleVsV2ray}× v2ray`,
    sy,
    sy?.summary.singleMiBps,
    v2ray?.summary.singleMiBps !== undefined ? v2ray.summary.singleMiBps * TARGETS.singleVsV2ray : undefined,
    (v, g) => v >= g,
    (v, g) => `${fmt(v)} MiB/s vs ${fmt(g)} MiB/s (${ratio(v, g)})`,
  );
  check(
    `switchyard → DIRECT, connections/s ≥ ${TARGETS.connRateVsMicrosocks}× microsocks`,
    sy,
    sy?.summary.connPerSec,
    microsocks?.summary.connPerSec !== undefined ? microsocks.summary.connPerSec * TARGETS.connRateVsMicrosocks : undefined,
    (v, g) => v >= g,
    (v, g) => `${fmt(v)}/s vs ${fmt(g)}/s (${ratio(v, g)})`,
  );
  for (const id of ['switchyard-direct', 'switchyard-pool'] as const) {
    const r = byId.get(id);
    check(
      `${r?.label ?? id}, RSS with ${config.idleConnections} idle connections < ${TARGETS.idleRssMiB} MiB`,
      r,
      r?.idle?.rssMiB,
      TARGETS.idleRssMiB,
      (v, g) => v < g,
      (v, g) => `${fmt(v)} MiB (limit ${g} MiB; ${fmt(r?.idle?.kibPerConnection)} KiB per connection)`,
    );
  }
  // Harness health: the direct baseline shows whether the load generator and target leave room to measure.
  const directRate = direct?.summary.connPerSec;
  if (directRate !== undefined) {
    out.push({
      name: 'harness: direct connections/s ≥ 30,000 (load generator not the bottleneck)',
      status: directRate >= 30_000 ? 'PASS' : 'WARN',
      detail: `${fmt(directRate)}/s${directRate >= 30_000 ? '' : ' — the machine is busy or slow; ratios within this run still compare like with like'}`,
    });
  }
  return out;
}

export function buildCoreReport(results: SubjectResult[], config: BenchConfig): ScenarioReport {
  return {
    tables: [absoluteTable(results, config), ratioTable(results, config)],
    checks: checks(results, config),
    data: { subjects: results },
  };
}
