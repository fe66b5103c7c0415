/**
 * A 5,000-server subscription fetched, parsed, checked and stored: the refresh a user with a big provider
 * pays for every few hours.
 *
 *   core child: SubscriptionService.refresh → HTTP (loopback) → parse → schema checks → ids → SQLite (WAL)
 *
 * Two bodies of the same servers (ss, vmess, vless, trojan in turn): a base64 list of share links, and
 * Clash YAML in block style (the slower YAML path; one-line flow entries take a faster reader). Each runs
 * in a child process of its own with a fresh database, so its RSS growth is its own: a first refresh
 * (every server new) and a second (every server kept, the steady state). The subscription server runs
 * in the harness.
 *
 * Runs under the harness (`npm run bench -- subscription`) or alone:
 *   node --import tsx bench/scenarios/subscription.ts
 * Settings: BENCH_SUB_SERVERS (5000).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Check, Scenario, ScenarioReport } from '../scenario.js';
import { runBounded } from '../lib/children.js';
import { fmt } from '../lib/report.js';
import { envNumber } from '../lib/config.js';
import { exitWhenDone, runStandalone } from '../lib/standalone.js';

const MiB = 1024 * 1024;
const TARGET_MS = 1000;
const TARGET_RSS_GROWTH_MIB = 100;

interface ChildRun {
  servers: number;
  bodyBytes: number;
  firstMs: number;
  secondMs: number;
  rssBaselineMiB: number;
  rssPeakMiB: number;
  error: string | null;
}

interface State {
  servers: number;
  bodies: Record<string, Buffer>;
  server: http.Server;
  port: number;
}

const self = fileURLToPath(import.meta.url);

function serverCount(env: NodeJS.ProcessEnv = process.env): number {
  return envNumber(env, 'BENCH_SUB_SERVERS', 5000, 1);
}

/** Deterministic servers of four types, with the names, hosts and credentials providers use. */
function links(n: number): string[] {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const uuid = (i: number) => `${i.toString(16).padStart(8, '0')}-4d53-4ad4-8cda-48b30811${(i % 65536).toString(16).padStart(4, '0')}`;
  return Array.from({ length: n }, (_, i) => {
    const name = encodeURIComponent(`🇭🇰 HK ${String(i).padStart(4, '0')} | ${1 + (i % 3) * 0.5}x`);
    const host = `node${i}.example.com`;
    switch (i % 4) {
      case 0:
        return `ss://${Buffer.from(`aes-256-gcm:pass-${i}`).toString('base64url')}@${host}:${10000 + (i % 50000)}#${name}`;
      case 1:
        return `vmess://${b64(JSON.stringify({ v: '2', ps: decodeURIComponent(name), add: host, port: '443', id: uuid(i), aid: '0', scy: 'auto', net: 'ws', host: 'cdn.example.com', path: '/ray', tls: 'tls', sni: host }))}`;
      case 2:
        return `vless://${uuid(i)}@${host}:443?encryption=none&security=tls&sni=${host}&type=ws&host=${host}&path=%2Fws#${name}`;
      default:
        return `trojan://secret-${i}@${host}:443?security=tls&sni=${host}#${name}`;
    }
  });
}

function clashYaml(n: number): string {
  const out = ['mixed-port: 7890', 'proxies:'];
  for (let i = 0; i < n; i++) {
    const name = JSON.stringify(`🇭🇰 HK ${String(i).padStart(4, '0')} | ${1 + (i % 3) * 0.5}x`);
    const host = `node${i}.example.com`;
    const lines: string[] = [`  - name: ${name}`, `    server: ${host}`];
    switch (i % 4) {
      case 0:
        lines.push('    type: ss', `    port: ${10000 + (i % 50000)}`, '    cipher: aes-256-gcm', `    password: pass-${i}`, '    udp: true');
        break;
      case 1:
        lines.push('    type: vmess', '    port: 443', `    uuid: ${i.toString(16).padStart(8, '0')}-4d53-4ad4-8cda-48b308110000`, '    alterId: 0', '    cipher: auto', '    tls: true', '    network: ws', '    ws-opts:', '      path: /ray', '      headers:', '        Host: cdn.example.com');
        break;
      case 2:
        lines.push('    type: vless', '    port: 443', `    uuid: ${i.toString(16).padStart(8, '0')}-4d53-4ad4-8cda-48b308110001`, '    tls: true', `    servername: ${host}`, '    network: ws', '    ws-opts:', '      path: /ws');
        break;
      default:
        lines.push('    type: trojan', '    port: 443', `    password: secret-${i}`, `    sni: ${host}`);
    }
    out.push(...lines);
  }
  out.push('proxy-groups:', '  - { name: auto, type: url-test, proxies: ["🇭🇰 HK 0000 | 1x"] }', 'rules:', '  - MATCH,auto', '');
  return out.join('\n');
}

export const subscription: Scenario<State> = {
  name: 'subscription',
  description: 'fetch, parse and store a 5,000-server subscription (base64 links and block-style Clash YAML): time and core RSS growth',

  async setup() {
    const servers = serverCount();
    const bodies = {
      'base64 links': Buffer.from(Buffer.from(links(servers).join('\n')).toString('base64')),
      'Clash YAML (block)': Buffer.from(clashYaml(servers)),
    };
    const server = http.createServer((req, res) => {
      const body = bodies[decodeURIComponent((req.url ?? '/').slice(1)) as keyof typeof bodies];
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': body.length, 'subscription-userinfo': 'upload=1; download=2; total=3' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { servers, bodies, server, port: (server.address() as AddressInfo).port };
  },

  async measure(state, ctx) {
    const runs: Record<string, ChildRun> = {};
    for (const format of Object.keys(state.bodies)) {
      ctx.log(`subscription: ${state.servers} servers as ${format}`);
      const dataDir = fs.mkdtempSync(path.join(ctx.workDir, 'sub-'));
      const url = `http://127.0.0.1:${state.port}/${encodeURIComponent(format)}`;
      const args = ['--expose-gc', '--import', 'tsx', self, 'child', url, dataDir];
      const res = await runBounded(process.execPath, args, 120_000, { cwd: path.resolve(path.dirname(self), '../..') });
      if (res.code !== 0 || res.timedOut) throw new Error(`subscription child ${res.timedOut ? 'timed out' : `exited ${res.code}`}: ${res.stderr.trim().slice(-2000)}`);
      runs[format] = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as ChildRun;
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    const checks: Check[] = [];
    for (const [format, run] of Object.entries(runs)) {
      const growth = run.rssPeakMiB - run.rssBaselineMiB;
      checks.push(
        {
          name: `${format}: every server stored`,
          status: run.error === null && run.servers === state.servers ? 'PASS' : 'FAIL',
          detail: run.error ?? `${run.servers} of ${state.servers}`,
        },
        {
          name: `${format}: refresh under ${TARGET_MS} ms`,
          status: Math.max(run.firstMs, run.secondMs) < TARGET_MS ? 'PASS' : 'FAIL',
          detail: `first ${fmt(run.firstMs)} ms, second ${fmt(run.secondMs)} ms for ${fmt(run.bodyBytes / 1024)} KiB`,
        },
        {
          name: `${format}: core RSS growth under ${TARGET_RSS_GROWTH_MIB} MiB`,
          status: growth < TARGET_RSS_GROWTH_MIB ? 'PASS' : 'FAIL',
          detail: `${fmt(run.rssBaselineMiB)} → peak ${fmt(run.rssPeakMiB)} MiB (+${fmt(growth)} MiB)`,
        },
      );
    }
    const report: ScenarioReport = {
      tables: [
        {
          title: `Subscription refresh, ${state.servers} servers`,
          columns: ['body', 'KiB', 'servers stored', 'first refresh ms', 'second refresh ms', 'RSS start MiB', 'RSS growth MiB'],
          rows: Object.entries(runs).map(([format, r]) => [
            format,
            fmt(r.bodyBytes / 1024),
            String(r.servers),
            fmt(r.firstMs),
            fmt(r.secondMs),
            fmt(r.rssBaselineMiB),
            fmt(r.rssPeakMiB - r.rssBaselineMiB),
          ]),
          notes: [
            'refresh: SubscriptionService.refresh over loopback HTTP: download, parse, protocol schema checks, stable ids, one SQLite transaction (WAL) replacing the servers.',
            'first: every server new (inserts); second: the same body again (every server kept, updated in place).',
            'RSS: the child alone, sampled every 5 ms over both refreshes, against its RSS after loading the modules, opening the database and a GC.',
          ],
        },
      ],
      checks,
      data: { servers: state.servers, runs },
    };
    return report;
  },

  async teardown(state) {
    await new Promise<void>((resolve) => (state?.server ? state.server.close(() => resolve()) : resolve()));
  },
};

/** The core side, in its own process: a fresh store, two refreshes of one subscription. */
async function runChild(url: string, dataDir: string): Promise<void> {
  const { openStore } = await import('../../core/store/index.js');
  const { SubscriptionService } = await import('../../core/subscription/refresh.js');
  const { createProtocolRegistry } = await import('../../core/protocol/index.js');
  const store = openStore(dataDir);
  const service = new SubscriptionService({ store, registry: createProtocolRegistry() });
  const { id } = store.subscriptions.add({ name: 'bench', url });
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 50));
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  const timed = async () => {
    const started = performance.now();
    const result = await service.refresh(id)!;
    return { ms: performance.now() - started, result };
  };
  const first = await timed();
  const second = await timed();
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  const failed = [first.result, second.result].find((r) => !r.ok);
  const out: ChildRun = {
    servers: store.servers.listForSubscription(id).length,
    bodyBytes: Number((await fetch(url, { method: 'HEAD' }).catch(() => undefined))?.headers.get('content-length') ?? NaN),
    firstMs: first.ms,
    secondMs: second.ms,
    rssBaselineMiB: baseline / MiB,
    rssPeakMiB: peak / MiB,
    error: failed && !failed.ok ? `${failed.code}: ${failed.error}` : null,
  };
  store.close();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Alone, outside the harness: set up, measure, print, tear down. */
async function standalone(): Promise<void> {
  const workDir = fs.mkdtempSync(path.join((await import('node:os')).tmpdir(), 'switchyard-bench-sub-'));
  try {
    await runStandalone(subscription, workDir);
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === self) {
  const [mode, ...rest] = process.argv.slice(2);
  exitWhenDone(mode === 'child' ? runChild(rest[0]!, rest[1]!) : standalone());
}
