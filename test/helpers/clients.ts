import http from 'node:http';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';
import { SocksProxyAgent } from 'socks-proxy-agent';

export interface FetchResult {
  status: number;
  body: Buffer;
}

/** One GET through a SOCKS5 proxy on a fresh connection (no keep-alive), with Node's http and socks-proxy-agent. */
export function getViaSocks(proxyPort: number, url: string, timeoutMs = 10_000): Promise<FetchResult> {
  const agent = new SocksProxyAgent(`socks5h://127.0.0.1:${proxyPort}`);
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

export interface CurlResult {
  code: number | null;
  sha256: string;
  bytes: number;
  /** What curl printed, up to the first chunk past 1 MiB: large downloads are checked by hash only. */
  stdout: Buffer;
  stderr: string;
}

/**
 * Runs curl with the given proxy arguments (never blocking the event loop a proxy under test runs on),
 * hashing what it writes to stdout as it arrives.
 */
export function curl(args: string[], timeoutMs = 60_000): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-sS', '--max-time', String(Math.ceil(timeoutMs / 1000)), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const hash = crypto.createHash('sha256');
    const chunks: Buffer[] = [];
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      hash.update(d);
      if (bytes < 1 << 20) chunks.push(d);
      bytes += d.length;
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, sha256: hash.digest('hex'), bytes, stdout: Buffer.concat(chunks), stderr }));
  });
}

/** Runs `count` async jobs with at most `concurrency` at once; resolves with their results in order. */
export async function inParallel<T>(count: number, concurrency: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await job(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}
