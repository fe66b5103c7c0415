import type { ChildProcess } from 'node:child_process';
import { spawnTracked, stopChild, waitForLine } from './lib/children.js';

/**
 * The destination every load goes to: bench/native/target.c, an epoll HTTP server serving
 * GET /hello (5 bytes) and GET /bytes/N (N bytes from one preallocated buffer). It is written in C so that
 * the direct baseline measures the loopback, not the target. (test/helpers/http-target.ts is the Node
 * equivalent for tests; at tens of thousands of connections per second it would be the bottleneck.)
 */
export interface BenchTarget {
  port: number;
  pid: number;
  url(path: string): string;
  stop(): Promise<void>;
}

export async function startBenchTarget(binary: string, threads = 1): Promise<BenchTarget> {
  const child: ChildProcess = spawnTracked(binary, ['-T', String(threads)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const match = await waitForLine(child, /listening (\d+)/, 5000).catch(async (err: Error) => {
    await stopChild(child);
    throw new Error(`bench target did not start: ${err.message}`);
  });
  const port = Number(match[1]);
  // Keep draining its pipes so it can never block on a full one.
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    port,
    pid: child.pid!,
    url: (p) => `http://127.0.0.1:${port}${p}`,
    stop: async () => {
      await stopChild(child, 1000);
    },
  };
}
