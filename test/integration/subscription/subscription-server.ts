import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A subscription server on loopback (node:http, port 0) whose answer for each path the test sets and
 * changes at run time. Records every request: path, User-Agent and the client address (which upstream
 * proxy, when each binds its own 127.0.0.x).
 */
export interface SubscriptionServer {
  port: number;
  url(path: string): string;
  route(path: string, handler: Handler): void;
  requests: { path: string; userAgent?: string; from: string }[];
  /** Requests for one path so far. */
  count(path: string): number;
  close(): Promise<void>;
}

export async function startSubscriptionServer(): Promise<SubscriptionServer> {
  const routes = new Map<string, Handler>();
  const requests: SubscriptionServer['requests'] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push({ path, userAgent: req.headers['user-agent'], from: req.socket.remoteAddress ?? '' });
    const handler = routes.get(path);
    if (handler) handler(req, res);
    else res.writeHead(404).end('not found');
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    route: (path, handler) => routes.set(path, handler),
    requests,
    count: (path) => requests.filter((r) => r.path === path).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Answers 200 with `body` and the given headers (content-length set). */
export function body(content: string | Buffer, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    const buf = typeof content === 'string' ? Buffer.from(content) : content;
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(buf.length), ...headers });
    res.end(buf);
  };
}

export function status(code: number, text = 'error'): Handler {
  return (_req, res) => res.writeHead(code, { 'content-type': 'text/plain' }).end(text);
}

/** Never answers: the client's timeout must end it. */
export const hang: Handler = () => {};

export function redirect(to: string, code = 302): Handler {
  return (_req, res) => res.writeHead(code, { location: to }).end();
}
