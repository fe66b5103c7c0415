import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A download that stays on the wire until the client leaves: the target, the curl, and a look at its exit. */
export interface TrickleTarget {
  url: string;
  close(): Promise<void>;
}

/**
 * An HTTP target that sends 16 KiB every 50 ms until the client leaves: a download that keeps flowing at a
 * steady rate, so per-second rates move every second. (A fast or throttled download is no good here:
 * loopback socket buffers swallow ~10 MB in the first second and then nothing moves for many seconds.)
 */
export async function startTrickleTarget(): Promise<TrickleTarget> {
  const chunk = Buffer.alloc(16 * 1024, 0x61);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const timer = setInterval(() => res.write(chunk), 50);
    res.once('close', () => clearInterval(timer));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/stream`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** curl through the mixed port (SOCKS5, names resolved by the proxy); `exited` resolves with its exit code. */
export function startDownload(mixedPort: number, url: string): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn('curl', ['-sS', '--max-time', '60', '-x', `socks5h://127.0.0.1:${mixedPort}`, '-o', '/dev/null', url], { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited };
}

/** Resolves with the exit code, or 'running' if the process has not exited within ms. */
export const exitWithin = (exited: Promise<number | null>, ms: number) =>
  Promise.race([exited, new Promise<'running'>((r) => setTimeout(() => r('running'), ms))]);
