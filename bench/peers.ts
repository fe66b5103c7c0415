import fs from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import YAML from 'yaml';
import { freePort, waitForPort } from '../test/helpers/ports.js';
import { cleanEnv, keepTail, runBounded, spawnTracked, stopChild, waitForLine } from './lib/children.js';

/**
 * The proxies under test, each reachable as a SOCKS5 server on 127.0.0.1:port:
 *   microsocks                        client → microsocks → target
 *   v2ray                             client → socks inbound → freedom outbound → target
 *   switchyard (direct profile)       client → mixed port → DIRECT → target
 *   switchyard (pool profile)         client → mixed port → load-balance pool → 3 × microsocks → target
 *   switchyard (proxy profile)        client → mixed port → one outbound (ss, vmess, …) → its server → target
 *   v2ray (startV2rayWith)            client → socks inbound → the given outbound (shadowsocks, vmess) → …
 *   ss-local                          client → ss-local → ss-server → target
 * and the servers those reach: ss-server, v2ray with a vmess inbound (startV2rayWith).
 */
export interface ProxyUnderTest {
  port: number;
  /** The process whose memory is reported. */
  pid: number;
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines it printed, for error reports (only where its output is kept). */
  outputTail?(): string;
}

/** The peer cannot run here (not built yet, not installed): its row says so instead of failing the run. */
export class NotAvailableError extends Error {
  override readonly name = 'NotAvailableError';
}

const repoRoot = fileURLToPath(new URL('../', import.meta.url));

async function listeningOn(child: ChildProcess, port: number, what: string, timeoutMs = 10_000): Promise<void> {
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`${what} exited (${signal ?? code}) before listening on ${port}`)));
    child.once('error', (err) => reject(new NotAvailableError(`${what} could not start: ${err.message}`)));
  });
  exited.catch(() => {});
  try {
    await Promise.race([waitForPort(port, '127.0.0.1', timeoutMs), exited]);
  } catch (err) {
    await stopChild(child, 500);
    throw err;
  }
}

export async function startMicrosocks(port?: number): Promise<ProxyUnderTest> {
  const p = port ?? (await freePort());
  // microsocks logs every connection; at thousands per second that goes to /dev/null, not through a pipe.
  const child = spawnTracked('microsocks', ['-i', '127.0.0.1', '-p', String(p)], { stdio: 'ignore' });
  await listeningOn(child, p, 'microsocks');
  return { port: p, pid: child.pid!, stop: () => stopChild(child) };
}

export async function startV2ray(workDir: string): Promise<ProxyUnderTest> {
  const port = await freePort();
  const config = {
    log: { loglevel: 'none' },
    inbounds: [{ listen: '127.0.0.1', port, protocol: 'socks', settings: { auth: 'noauth', udp: false } }],
    outbounds: [{ protocol: 'freedom', settings: {} }],
  };
  const file = path.join(workDir, `v2ray-${port}.json`);
  await fs.writeFile(file, JSON.stringify(config, null, 2));
  const child = spawnTracked('v2ray', ['-config', file], { stdio: 'ignore' });
  await listeningOn(child, port, 'v2ray');
  return { port, pid: child.pid!, stop: () => stopChild(child) };
}

export interface V2rayOptions {
  /** the inbound without listen/port; default SOCKS5 without auth */
  inbound?: Record<string, unknown>;
  /** default freedom */
  outbound?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
}

/** v2ray with one inbound on a free loopback port and one outbound: a client-side proxy or a server. */
export async function startV2rayWith(workDir: string, options: V2rayOptions = {}): Promise<ProxyUnderTest> {
  const port = await freePort();
  const inbound = options.inbound ?? { protocol: 'socks', settings: { auth: 'noauth', udp: false } };
  const config = {
    log: { loglevel: 'none' },
    inbounds: [{ listen: '127.0.0.1', port, ...inbound }],
    outbounds: [options.outbound ?? { protocol: 'freedom', settings: {} }],
  };
  const file = path.join(workDir, `v2ray-${port}.json`);
  await fs.writeFile(file, JSON.stringify(config, null, 2));
  const child = spawnTracked('v2ray', ['-config', file], { stdio: 'ignore', env: cleanEnv(options.env) });
  await listeningOn(child, port, 'v2ray');
  return { port, pid: child.pid!, stop: () => stopChild(child) };
}

export interface ShadowsocksKey {
  cipher: string;
  password: string;
}

/** shadowsocks-libev's ss-server on 127.0.0.1, quiet (no -v: it would log every connection). */
export async function startSsServer(key: ShadowsocksKey): Promise<ProxyUnderTest> {
  const port = await freePort();
  const child = spawnTracked('ss-server', ['-s', '127.0.0.1', '-p', String(port), '-k', key.password, '-m', key.cipher], { stdio: 'ignore' });
  await listeningOn(child, port, 'ss-server');
  return { port, pid: child.pid!, stop: () => stopChild(child) };
}

/** shadowsocks-libev's ss-local: a SOCKS5 server on 127.0.0.1 relaying to the ss-server on `serverPort`. */
export async function startSsLocal(serverPort: number, key: ShadowsocksKey): Promise<ProxyUnderTest> {
  const port = await freePort();
  const args = ['-s', '127.0.0.1', '-p', String(serverPort), '-b', '127.0.0.1', '-l', String(port), '-k', key.password, '-m', key.cipher];
  const child = spawnTracked('ss-local', args, { stdio: 'ignore' });
  await listeningOn(child, port, 'ss-local');
  return { port, pid: child.pid!, stop: () => stopChild(child) };
}

export type SwitchyardProfile =
  | { kind: 'direct' }
  | { kind: 'pool'; upstreamPorts: number[] }
  /** one Clash proxy entry, every connection routed to it */
  | { kind: 'proxy'; proxy: { name: string; type: string } & Record<string, unknown> };

export function switchyardProfile(mixedPort: number, profile: SwitchyardProfile): string {
  const doc: Record<string, unknown> = { 'mixed-port': mixedPort, 'log-level': 'error', mode: 'rule' };
  if (profile.kind === 'direct') {
    doc.proxies = [];
    doc.rules = ['MATCH,DIRECT'];
  } else if (profile.kind === 'proxy') {
    doc.proxies = [profile.proxy];
    doc.rules = [`MATCH,${profile.proxy.name}`];
  } else {
    const names = profile.upstreamPorts.map((_, i) => `up${i + 1}`);
    doc.proxies = profile.upstreamPorts.map((port, i) => ({ name: names[i], type: 'socks5', server: '127.0.0.1', port }));
    doc['proxy-groups'] = [{ name: 'pool', type: 'load-balance', strategy: 'round-robin', proxies: names }];
    doc.rules = ['MATCH,pool'];
  }
  return YAML.stringify(doc);
}

/**
 * Builds the core bundle fresh (scripts/build-core.mjs), then starts `node bin/switchyard.mjs run -c <profile>`
 * with SWITCHYARD_BUILT=1, so what is measured is the shipped form and never the tsx fallback, and waits for
 * `mixed: listening on 127.0.0.1:<port>`. Anything short of that line (no CLI yet, a failed build, a crash, a
 * timeout) is a NotAvailableError.
 */
export async function startSwitchyard(workDir: string, profile: SwitchyardProfile, startupMs = 30_000): Promise<ProxyUnderTest> {
  const cli = path.join(repoRoot, 'bin', 'switchyard.mjs');
  if (!existsSync(cli) || !existsSync(path.join(repoRoot, 'core', 'cli.ts'))) {
    throw new NotAvailableError('not available yet: the core CLI (core/cli.ts) is not in the tree');
  }
  const mixedPort = await freePort();
  const file = path.join(workDir, `switchyard-${profile.kind}-${mixedPort}.yaml`);
  await fs.writeFile(file, switchyardProfile(mixedPort, profile));
  const build = await runBounded(process.execPath, [path.join(repoRoot, 'scripts', 'build-core.mjs')], 120_000, { cwd: repoRoot });
  if (build.code !== 0) throw new NotAvailableError(`the core bundle did not build: ${(build.stderr || build.stdout).trim().slice(-500)}`);
  const child = spawnTracked(process.execPath, [cli, 'run', '-c', file], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv({ SWITCHYARD_BUILT: '1' }) });
  let match: RegExpMatchArray;
  try {
    match = await waitForLine(child, /mixed: listening on 127\.0\.0\.1:(\d+)/, startupMs);
  } catch (err) {
    await stopChild(child, 1000);
    throw new NotAvailableError(`not available yet: ${(err as Error).message}`);
  }
  // Keep draining its output (log-level error keeps it quiet) so a full pipe never stalls it.
  const outputTail = keepTail(child);
  return { port: Number(match[1]), pid: child.pid!, stop: () => stopChild(child, 5000), outputTail };
}
