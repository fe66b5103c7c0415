import crypto from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { DialContext } from '../../../../core/adapter/outbound.js';
import { bodyStream } from '../../../helpers/http-target.js';

/**
 * Raw HTTP/1.1 over a dialed outbound stream, hashing bodies as they arrive (20 MiB never sits in memory).
 * Shared by the Trojan, VLESS and VMess integration tests.
 */
export interface HttpResult {
  status: number;
  bytes: number;
  sha256: string;
  /** The body as text when it is small (the /upload answer). */
  text: string;
}

export function readHttpResponse(stream: Duplex, timeoutMs = 30_000): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    let head: Buffer[] | undefined = [];
    let status = 0;
    let length = Infinity;
    let bytes = 0;
    const hash = crypto.createHash('sha256');
    const small: Buffer[] = [];
    const timer = setTimeout(() => finish(new Error(`no complete HTTP response within ${timeoutMs} ms (${bytes} body bytes)`)), timeoutMs);
    const finish = (err?: Error) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.destroy();
      if (err) reject(err);
      else resolve({ status, bytes, sha256: hash.digest('hex'), text: Buffer.concat(small).toString() });
    };
    const body = (b: Buffer) => {
      bytes += b.length;
      hash.update(b);
      if (bytes <= 65536) small.push(b);
      if (bytes >= length) finish();
    };
    const onData = (d: Buffer) => {
      if (!head) return body(d);
      head.push(d);
      const all = Buffer.concat(head);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) return;
      head = undefined;
      const lines = all.subarray(0, end).toString('latin1').split('\r\n');
      status = Number(lines[0]!.split(' ')[1]);
      const cl = lines.find((l) => /^content-length:/i.test(l));
      if (cl) length = Number(cl.split(':')[1]);
      const rest = all.subarray(end + 4);
      if (rest.length > 0 || length === 0) body(rest);
    };
    const onEnd = () => (head ? finish(new Error('stream ended before the HTTP response head')) : length === Infinity ? finish() : finish(new Error(`stream ended after ${bytes} of ${length} body bytes`)));
    const onError = (err: Error) => finish(err);
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}

/** GET /bytes/n from the HTTP target through `stream`. */
export function downloadThrough(stream: Duplex, targetPort: number, n: number): Promise<HttpResult> {
  const response = readHttpResponse(stream);
  stream.write(`GET /bytes/${n} HTTP/1.1\r\nHost: 127.0.0.1:${targetPort}\r\nConnection: close\r\n\r\n`);
  return response;
}

/** POST n deterministic bytes to /upload through `stream`; the answer carries the target's byte count and hash. */
export async function uploadThrough(stream: Duplex, targetPort: number, n: number): Promise<{ bytes: number; sha256: string }> {
  const response = readHttpResponse(stream);
  stream.write(`POST /upload HTTP/1.1\r\nHost: 127.0.0.1:${targetPort}\r\nContent-Length: ${n}\r\nConnection: close\r\n\r\n`);
  bodyStream(
    n,
    (b) => stream.write(b),
    () => {},
    (cb) => stream.once('drain', cb),
  );
  const res = await response;
  if (res.status !== 200) throw new Error(`upload answered HTTP ${res.status}`);
  return JSON.parse(res.text) as { bytes: number; sha256: string };
}

/** Resolves with the error `stream` fails with; rejects when it ends cleanly or nothing happens in time. */
export function failureOf(stream: Duplex, timeoutMs = 15_000): Promise<Error> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`stream neither failed nor ended within ${timeoutMs} ms`));
    }, timeoutMs);
    stream.resume();
    stream.once('error', (err) => {
      clearTimeout(timer);
      resolve(err);
    });
    stream.once('end', () => {
      clearTimeout(timer);
      reject(new Error('stream ended cleanly instead of failing'));
    });
  });
}

/** A dial context for tests: one made-up client connection to `host:port`. */
export function dialContext(host: string, port: number): DialContext {
  return {
    meta: {
      id: `test-${Math.random().toString(36).slice(2)}`,
      network: 'tcp',
      inbound: 'test',
      source: { address: '127.0.0.1', port: 0 },
      destination: { host, port },
      startedAt: Date.now(),
    },
    chain: [],
  };
}
