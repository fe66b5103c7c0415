import crypto from 'node:crypto';
import type { Duplex } from 'node:stream';
import { expect } from 'vitest';
import type { Outbound } from '../../../../core/adapter/outbound.js';
import { bodyStream, expectedSha256 } from '../../../helpers/http-target.js';
import { dialContext } from './dial-context.js';

/**
 * A raw HTTP/1.1 exchange over a stream an outbound dialed: what a client behind the proxy would do.
 * Hashes the body as it streams, so 20 MiB costs no memory.
 */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  bodyBytes: number;
  sha256: string;
  /** The body as text when it is at most 64 KiB. */
  text: string;
}

const MAX_HEAD = 64 * 1024;

export function rawRequest(stream: Duplex, head: string, uploadBytes = 0, timeoutMs = 30_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`no complete HTTP response within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      stream.destroy();
      reject(err);
    };
    let headBuf = Buffer.alloc(0);
    let parsed: { status: number; headers: Record<string, string> } | undefined;
    const hash = crypto.createHash('sha256');
    let bodyBytes = 0;
    const small: Buffer[] = [];
    const onBody = (b: Buffer) => {
      bodyBytes += b.length;
      hash.update(b);
      if (bodyBytes <= 64 * 1024) small.push(b);
    };
    stream.on('data', (chunk: Buffer) => {
      if (parsed) return onBody(chunk);
      headBuf = Buffer.concat([headBuf, chunk]);
      const end = headBuf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (headBuf.length > MAX_HEAD) fail(new Error('response head too large'));
        return;
      }
      const lines = headBuf.subarray(0, end).toString('latin1').split('\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
      if (!m) return fail(new Error(`not an HTTP response: ${JSON.stringify(lines[0])}`));
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      parsed = { status: Number(m[1]), headers };
      const rest = headBuf.subarray(end + 4);
      if (rest.length > 0) onBody(rest);
    });
    stream.once('error', fail);
    stream.once('end', () => {
      clearTimeout(timer);
      if (!parsed) return reject(new Error(`stream ended before a response head (${headBuf.length} bytes)`));
      const expected = parsed.headers['content-length'];
      if (expected !== undefined && Number(expected) !== bodyBytes)
        return reject(new Error(`body ended after ${bodyBytes} of ${expected} bytes`));
      resolve({ ...parsed, bodyBytes, sha256: hash.digest('hex'), text: Buffer.concat(small).toString('utf8') });
      stream.destroy();
    });
    stream.write(head);
    if (uploadBytes > 0)
      bodyStream(uploadBytes, (b) => stream.write(b), () => {}, (cb) => stream.once('drain', cb));
  });
}

/** GET with `Connection: close`, so the body ends with the stream. */
export function rawGet(stream: Duplex, host: string, path: string): Promise<RawResponse> {
  return rawRequest(stream, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
}

/** POSTs `bytes` of the http-target's deterministic body to /upload (compare with expectedSha256). */
export function rawUpload(stream: Duplex, host: string, bytes: number): Promise<RawResponse> {
  return rawRequest(
    stream,
    `POST /upload HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${bytes}\r\nConnection: close\r\n\r\n`,
    bytes,
  );
}

/** Dials `host:port` through `outbound` and GETs `path` over the tunnel, as a client behind the proxy would. */
export async function getThrough(outbound: Outbound, host: string, port: number, path: string): Promise<RawResponse> {
  const dest = { host, port };
  return rawGet(await outbound.dial(dest, dialContext(dest)), `${host}:${port}`, path);
}

/** Dials 127.0.0.1:`port` (the http-target) through `outbound` and uploads `bytes` to it. */
export async function uploadThrough(outbound: Outbound, port: number, bytes: number): Promise<RawResponse> {
  const dest = { host: '127.0.0.1', port };
  return rawUpload(await outbound.dial(dest, dialContext(dest)), `127.0.0.1:${port}`, bytes);
}

/** A /bytes/n download arrived whole: 200, n bytes, the target's hash. `why` labels the status check (a server's output). */
export function expectIntactDownload(res: RawResponse, bytes: number, why?: string): void {
  expect(res.status, why).toBe(200);
  expect(res.bodyBytes).toBe(bytes);
  expect(res.sha256).toBe(expectedSha256(bytes));
}

/** The target's answer to an upload: it counted `bytes` and hashed what it should have. */
export function expectIntactUpload(res: RawResponse, bytes: number): void {
  expect(JSON.parse(res.text)).toEqual({ bytes, sha256: expectedSha256(bytes) });
}
