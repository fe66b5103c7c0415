import http from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import { WebSocket } from 'ws';
import { Engine, type EngineOptions } from '../../../core/engine.js';
import { loadProfile } from '../../../core/config/index.js';
import { createProtocolRegistry } from '../../../core/protocol/index.js';
import { createLogger } from '../../../core/logger.js';
import { LogHub, type Controller, type ControllerAddress, type ControllerOptions } from '../../../core/api/index.js';
import { startHttpTarget, type HttpTarget } from '../../helpers/http-target.js';
import { lateBound } from '../../helpers/late-bound.js';
import { freePort } from '../../helpers/ports.js';

/**
 * A real Engine built from a YAML profile, started on loopback with port 0 for both the mixed inbound and
 * the controller, its logger writing through a real LogHub into `logLines` (so tests can read what was
 * logged) as well as to /logs subscribers.
 */
export interface ApiHarness {
  engine: Engine;
  controller: Controller;
  address: ControllerAddress;
  /** `http://127.0.0.1:<port>` */
  base: string;
  secret: string;
  mixedPort: number;
  logs: LogHub;
  logLines: string[];
  /** An HTTP request with the secret unless `auth: false` (or another `authorization`). */
  call(method: string, path: string, init?: CallInit): Promise<CallResult>;
  close(): Promise<void>;
}

export interface CallInit {
  body?: unknown;
  /** Sent as is, no JSON encoding. */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
  auth?: boolean;
}

export interface CallResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

/** `engine` adds engine options (a store's `stored` servers, say) to the ones the harness sets. */
export async function startApi(yaml: string, controller: ControllerOptions = {}, engineOptions: Omit<EngineOptions, 'logger' | 'mixedPort' | 'controller'> = {}): Promise<ApiHarness> {
  const { profile } = loadProfile(yaml, createProtocolRegistry());
  const logs = new LogHub();
  const logLines: string[] = [];
  const logger = createLogger('debug', logs.destination({ write: (line: string) => void logLines.push(line) }));
  const engine = new Engine(profile, { ...engineOptions, logger, mixedPort: 0, controller: { port: 0, logs, ...controller } });
  const started = await engine.start();
  if (!started.controller) throw new Error('the profile has no external-controller');
  const address = started.controller;
  const h: ApiHarness = {
    engine,
    controller: engine.controller!,
    address,
    base: address.url,
    secret: address.secret,
    mixedPort: started.mixed.port,
    logs,
    logLines,
    call: (method, path, init = {}) => request(address.port, method, path, init, address.secret),
    close: () => engine.stop(),
  };
  return h;
}

export function request(port: number, method: string, path: string, init: CallInit = {}, secret?: string): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.auth !== false && secret && !('authorization' in headers)) headers.authorization = `Bearer ${secret}`;
    let body: string | Buffer | undefined = init.rawBody;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] = 'application/json';
    }
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.setTimeout(20_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** A WebSocket client that records each frame with its arrival time. */
export interface StreamClient {
  ws: WebSocket;
  frames: { at: number; data: any }[];
  /** Resolves once `n` frames have arrived in total; rejects after timeoutMs. */
  waitFrames(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export function openStream(url: string, headers: Record<string, string> = {}): Promise<StreamClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const frames: { at: number; data: any }[] = [];
    const waiters: { n: number; done: () => void }[] = [];
    ws.on('message', (data) => {
      frames.push({ at: Date.now(), data: JSON.parse(String(data)) });
      for (const w of waiters.filter((w) => frames.length >= w.n)) w.done();
    });
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        frames,
        waitFrames: (n, timeoutMs = 5000) =>
          new Promise((res, rej) => {
            if (frames.length >= n) return res();
            const timer = setTimeout(() => rej(new Error(`only ${frames.length} of ${n} frames after ${timeoutMs} ms`)), timeoutMs);
            waiters.push({ n, done: () => (clearTimeout(timer), res()) });
          }),
        close: () =>
          new Promise((res) => {
            if (ws.readyState === WebSocket.CLOSED) return res();
            ws.once('close', () => res());
            ws.close();
          }),
      }),
    );
  });
}

/** Polls `check` every 20 ms until it returns true; fails after timeoutMs with `what`. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const TEST_SECRET = 'test-secret-Zq8p';

/**
 * The profile most API tests use: two direct-type servers (one with a UTF-8 name), a server nobody
 * listens behind (`dead`, a socks5 upstream on a closed port), a select, a round-robin and a url-test pool.
 */
export function profileYaml(o: { secret?: string | null; deadPort?: number; testUrl?: string; extra?: string } = {}): string {
  const secret = o.secret === null ? '' : `secret: ${JSON.stringify(o.secret ?? TEST_SECRET)}\n`;
  return `mixed-port: 7890
external-controller: 127.0.0.1:9090
${secret}log-level: debug
proxies:
  - { name: "trojan 香港", type: direct }
  - { name: jp1, type: direct }
  - { name: dead, type: socks5, server: 127.0.0.1, port: ${o.deadPort ?? 9} }
proxy-groups:
  - { name: manual, type: select, proxies: ["trojan 香港", jp1, DIRECT] }
  - { name: auto, type: load-balance, strategy: round-robin, proxies: ["trojan 香港", jp1] }
  - { name: fast, type: url-test, proxies: [jp1, dead], interval: 0${o.testUrl ? `, url: "${o.testUrl}"` : ''} }
rules:
  - DOMAIN-SUFFIX,example.com,manual
  - IP-CIDR,127.0.0.0/8,auto
  - MATCH,DIRECT
${o.extra ?? ''}`;
}

/**
 * The controller tests' fixture, started once per describe: an HTTP target for delay tests and a
 * controller on profileYaml() whose dead member points at a port nothing listens on.
 */
export function useApiWithTarget(): { h: ApiHarness; target: HttpTarget } {
  let h: ApiHarness | undefined;
  let target: HttpTarget | undefined;
  beforeAll(async () => {
    target = await startHttpTarget();
    h = await startApi(profileYaml({ deadPort: await freePort() }));
  });
  afterAll(async () => {
    await h?.close();
    await target?.close();
  });
  return { h: lateBound('the controller', () => h), target: lateBound('the HTTP target', () => target) };
}
