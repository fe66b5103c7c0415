import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { ProbeService } from '../adapter/prober.js';
import { LOG_LEVELS, type LogLevel } from '../config/types.js';
import { formatHostPort } from '../config/settings.js';
import { silentLogger, type Logger } from '../logger.js';
import { generateSecret, isAuthorized } from './auth.js';
import { CorsPolicy, allowedOriginsFromProfile } from './cors.js';
import { ApiError, sendJson } from './http.js';
import type { LogHub } from './log-hub.js';
import { Router } from './router.js';
import { routeTables } from './routes/index.js';
import { DEFAULT_UI_DIR, serveUi } from './static-ui.js';
import type { SubscriptionService } from '../subscription/refresh.js';
import type { ApiContext, ControllerEngine, RequestInfo, RouteDef, RouteTable, StreamSource } from './types.js';

export interface ControllerOptions {
  /** Default: the profile's external-controller host (127.0.0.1 when it has none). */
  host?: string;
  /** Default: the profile's external-controller port; 0 picks a free one (tests). */
  port?: number;
  /** Default: the profile's secret; generated when neither gives one. */
  secret?: string;
  /** Browser origins besides the controller's own; default: the profile's external-controller-cors. */
  allowedOrigins?: readonly string[];
  /** Default: the engine's probes. */
  probes?: ProbeService;
  /** Where `/logs` reads from; the CLI builds the core's logger on it. */
  logs?: LogHub;
  logger?: Logger;
  /** The built UI served at /ui; default renderer/dist. */
  uiDir?: string;
  /** Time between frames of periodic streams; default 1000 ms. */
  streamIntervalMs?: number;
  /** Further route tables (areas that live outside core/api). */
  routes?: readonly RouteTable[];
  /** Stored subscriptions, served under /switchyard/subscriptions (503 there without them). */
  subscriptions?: SubscriptionService;
}

export interface ControllerAddress {
  host: string;
  port: number;
  /** `http://127.0.0.1:9090` (a wildcard bind is shown as loopback). */
  url: string;
  /** The built UI with the secret in its fragment, so the page can call the API. */
  uiUrl: string;
  secret: string;
  /** True when no secret was configured and this one was made at start. */
  secretGenerated: boolean;
}

/** Frames wait while a WebSocket client has this much unsent: a slow client skips frames, never piles them up. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * The external controller: mihomo's REST and WebSocket API (so Clash dashboards work) plus our own
 * routes under /switchyard/, and the built UI at /ui.
 *
 *   dashboard → HTTP / WebSocket → auth, CORS → router → route table → engine (pools, stats, tracker, probes)
 *
 * Every route but the OPTIONS preflight and /ui needs `Authorization: Bearer <secret>` (or `?token=` on a
 * WebSocket upgrade). Streams count themselves in `activeStreams` and stop their timers when the client goes.
 */
export class Controller {
  readonly secret: string;
  readonly secretGenerated: boolean;
  private readonly server: http.Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly router = new Router<RouteDef>();
  private readonly cors: CorsPolicy;
  private readonly api: ApiContext;
  private readonly logger: Logger;
  private readonly uiDir: string;
  /** The stop function of every stream running now. */
  private readonly streams = new Set<() => void>();
  private bound?: ControllerAddress;

  constructor(
    private readonly engine: ControllerEngine,
    private readonly options: ControllerOptions = {},
  ) {
    const configured = options.secret ?? engine.profile.secret;
    this.secretGenerated = !configured;
    this.secret = configured || generateSecret();
    this.logger = options.logger ?? silentLogger;
    this.uiDir = options.uiDir ?? DEFAULT_UI_DIR;
    this.cors = new CorsPolicy(options.allowedOrigins ?? allowedOriginsFromProfile(engine.profile), () => this.ownOrigins());
    this.api = this.buildApiContext();
    for (const table of [...routeTables, ...(options.routes ?? [])]) {
      for (const route of table) this.router.add(route.method, route.path, route);
    }
    this.server = http.createServer((req, res) => void this.onRequest(req, res));
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  /** Streams (WebSocket or newline-delimited JSON) open now; 0 once every client has gone. */
  get activeStreams(): number {
    return this.streams.size;
  }

  get address(): ControllerAddress | undefined {
    return this.bound;
  }

  start(): Promise<ControllerAddress> {
    const host = this.options.host ?? this.engine.profile.externalController?.host ?? '127.0.0.1';
    const port = this.options.port ?? this.engine.profile.externalController?.port ?? 9090;
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.server.on('error', (err) => this.logger.error({ err: err.message }, 'controller listener error'));
        const addr = this.server.address() as AddressInfo;
        const url = `http://${formatHostPort({ host: displayHost(addr.address), port: addr.port })}`;
        this.bound = {
          host: addr.address,
          port: addr.port,
          url,
          uiUrl: `${url}/ui/#/?token=${encodeURIComponent(this.secret)}`,
          secret: this.secret,
          secretGenerated: this.secretGenerated,
        };
        this.logger.info({ url, secretGenerated: this.secretGenerated }, 'controller listening');
        resolve(this.bound);
      });
    });
  }

  /** Ends every stream and connection, then stops listening. */
  async close(): Promise<void> {
    for (const stop of [...this.streams]) stop();
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private buildApiContext(): ApiContext {
    const { engine, options } = this;
    const logger = this.logger;
    const settings = { logLevel: logger === silentLogger ? engine.profile.logLevel : fromPinoLevel(logger.level, engine.profile.logLevel) };
    const probes = () => options.probes ?? engine.probes;
    return {
      engine,
      get probes() {
        return probes();
      },
      requireProbes() {
        const p = probes();
        if (!p) throw new ApiError(503, 'probes: latency and speed tests are not running in this core');
        return p;
      },
      logs: options.logs,
      logger,
      startedAt: Date.now(),
      streamIntervalMs: options.streamIntervalMs ?? 1000,
      settings,
      subscriptions: options.subscriptions,
      requireSubscriptions() {
        if (!options.subscriptions) throw new ApiError(503, 'subscriptions: this core runs without a data directory, so it stores none (start it with --data-dir)');
        return options.subscriptions;
      },
      setLogLevel(level: LogLevel) {
        settings.logLevel = level;
        // The shared silent logger must stay silent for everyone else.
        if (logger !== silentLogger) logger.level = level === 'warning' ? 'warn' : level;
      },
    };
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = requestUrl(req);
      const pathname = url.pathname;
      if (pathname === '/ui' || pathname.startsWith('/ui/')) return await serveUi(req, res, pathname, this.uiDir);
      if (req.method === 'OPTIONS') return this.cors.preflight(req, res);
      this.cors.decorate(req, res);
      if (!isAuthorized(req, url.searchParams, this.secret, false)) throw unauthorized();
      const method = req.method ?? 'GET';
      const match = this.router.match(method, pathname);
      if (match.kind === 'none') throw new ApiError(404, `no route for ${method} ${pathname}`);
      if (match.kind === 'method') {
        res.setHeader('allow', match.allowed.join(', '));
        throw new ApiError(405, `${method} is not allowed on ${pathname} (allowed: ${match.allowed.join(', ')})`);
      }
      const info: RequestInfo = { req, params: match.params, query: url.searchParams, api: this.api };
      if (match.route.handle) await match.route.handle({ ...info, res });
      else if (match.route.stream) this.streamLines(match.route.stream(info), res);
    } catch (err) {
      this.fail(res, err);
    }
  }

  /** Plain HTTP clients (mihomo's own CLI, curl) get one JSON document per line. */
  private streamLines(source: StreamSource, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.flushHeaders(); // event streams (logs) may not have a first frame for a while
    const stop = this.track(
      source((frame) => {
        if (!res.writableNeedDrain && !res.destroyed) res.write(`${JSON.stringify(frame)}\n`);
      }),
    );
    res.once('close', stop);
    if (res.destroyed) stop(); // the client left before the stream began
  }

  private onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    try {
      const url = requestUrl(req);
      if (req.headers.upgrade?.toLowerCase() !== 'websocket') throw new ApiError(400, 'upgrade: only websocket is served');
      if (!isAuthorized(req, url.searchParams, this.secret, true)) throw unauthorized();
      const match = this.router.match(req.method ?? 'GET', url.pathname);
      if (match.kind !== 'found') throw new ApiError(404, `no route for ${req.method} ${url.pathname}`);
      const stream = match.route.stream;
      if (!stream) throw new ApiError(400, `${url.pathname} is not a stream; request it without upgrading`);
      const source = stream({ req, params: match.params, query: url.searchParams, api: this.api });
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const stop = this.track(
          source((frame) => {
            if (ws.readyState === WebSocket.OPEN && ws.bufferedAmount < MAX_BUFFERED_BYTES) ws.send(JSON.stringify(frame));
          }),
        );
        ws.once('close', stop);
        ws.on('error', () => ws.terminate());
      });
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 500;
      const message = err instanceof ApiError ? err.message : 'internal error';
      if (!(err instanceof ApiError)) this.logger.error({ err: (err as Error).message, path: req.url?.split('?')[0] }, 'controller upgrade failed');
      const body = JSON.stringify({ message });
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    }
  }

  /** Counts a running stream; the returned stop runs once, however many ways the client leaves. */
  private track(stop: () => void): () => void {
    const once = () => {
      if (!this.streams.delete(once)) return;
      stop();
    };
    this.streams.add(once);
    return once;
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof ApiError) {
      // An unread oversized body would otherwise sit on a kept-alive connection.
      sendJson(res, err.status, { message: err.message }, err.status === 413 ? { connection: 'close' } : {});
      return;
    }
    // Query strings may carry the secret (`?token=`), so only the path is logged.
    this.logger.error({ err: (err as Error)?.message, path: res.req.url?.split('?')[0] }, 'controller route failed');
    sendJson(res, 500, { message: `internal error: ${(err as Error)?.message ?? String(err)}` });
  }

  /** The served UI's origins: the bound address, and its loopback spellings. */
  private ownOrigins(): string[] {
    if (!this.bound) return [];
    const { host, port } = this.bound;
    const origins = [`http://${formatHostPort({ host, port })}`, new URL(this.bound.url).origin];
    if (isLoopbackOrWildcard(host)) origins.push(`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`);
    return origins;
  }
}

/**
 * The request target as a URL. Prefixing the origin (rather than resolving against it) keeps a path that
 * starts with `//` a path instead of reading it as a host.
 */
function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? '/';
  try {
    return new URL(target.startsWith('/') ? `http://controller${target}` : target);
  } catch {
    throw new ApiError(400, `path: ${JSON.stringify(target.slice(0, 100))} is not a valid request target`);
  }
}

const unauthorized = () => new ApiError(401, 'Unauthorized: send Authorization: Bearer <secret> (or ?token= on a WebSocket)');

function displayHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

/** The logger's level as Clash names it (`--log-level` may have overridden the profile's). */
function fromPinoLevel(level: string, fallback: LogLevel): LogLevel {
  if (level === 'warn') return 'warning';
  return (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : fallback;
}

const isLoopbackOrWildcard = (host: string) => host === '0.0.0.0' || host === '::' || host === '::1' || host.startsWith('127.');
