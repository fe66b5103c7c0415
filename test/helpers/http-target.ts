import http from 'node:http';
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';

/**
 * The destination for tests: a local HTTP server.
 *   GET  /bytes/N      N bytes of deterministic pseudo-random data (see expectedSha256)
 *   POST /upload       reads the body, answers {"bytes":n,"sha256":"..."}
 *   GET  /hello        "hello" (small, for connection-rate tests)
 *   GET  /slow/N       waits N ms, then "ok"
 * Counts requests per path prefix in `hits`.
 */
export interface HttpTarget {
  port: number;
  url(path: string): string;
  hits: Map<string, number>;
  /** Requests per client address: which upstream proxy a request came through, when each binds its own 127.0.0.x. */
  sources: Map<string, number>;
  close(): Promise<void>;
}

const BLOCK = crypto.createHash('sha512').update('switchyard test body').digest();
/** 64 KiB deterministic block repeated; a short cycle is fine because we hash the whole body. */
const CHUNK = Buffer.concat(Array.from({ length: 1024 }, (_, i) => Buffer.concat([BLOCK, Buffer.from([i & 0xff])]).subarray(0, 64)));

export function bodyStream(n: number, write: (b: Buffer) => boolean, done: () => void, waitDrain: (cb: () => void) => void): void {
  let left = n;
  const pump = () => {
    while (left > 0) {
      const b = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= b.length;
      if (!write(b)) return waitDrain(pump);
    }
    done();
  };
  pump();
}

export function expectedSha256(n: number): string {
  const h = crypto.createHash('sha256');
  let left = n;
  while (left > 0) {
    const b = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
    h.update(b);
    left -= b.length;
  }
  return h.digest('hex');
}

export async function startHttpTarget(host = '127.0.0.1'): Promise<HttpTarget> {
  const hits = new Map<string, number>();
  const sources = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const from = req.socket.remoteAddress ?? '';
    sources.set(from, (sources.get(from) ?? 0) + 1);
    const url = new URL(req.url ?? '/', 'http://x');
    const [, head, arg] = url.pathname.split('/');
    hits.set(head ?? '', (hits.get(head ?? '') ?? 0) + 1);
    if (head === 'bytes') {
      const n = Number(arg);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n });
      bodyStream(n, (b) => res.write(b), () => res.end(), (cb) => res.once('drain', cb));
    } else if (head === 'upload') {
      const h = crypto.createHash('sha256');
      let bytes = 0;
      req.on('data', (d: Buffer) => {
        bytes += d.length;
        h.update(d);
      });
      req.on('end', () => res.end(JSON.stringify({ bytes, sha256: h.digest('hex') })));
    } else if (head === 'hello') {
      res.end('hello');
    } else if (head === 'slow') {
      setTimeout(() => res.end('ok'), Number(arg));
    } else {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    hits,
    sources,
    url: (path) => `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
