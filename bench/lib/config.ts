/** Sizes and durations, from the environment so a quick run during development stays small. */
export interface BenchConfig {
  /** BENCH_BULK_MIB: bytes for the single-connection download; the 8-stream test splits the same amount */
  bulkMiB: number;
  /** BENCH_SECONDS: measured window of each connection-rate run */
  seconds: number;
  /** BENCH_WARMUP_SECONDS: unmeasured start of each connection-rate run */
  warmupSeconds: number;
  /** BENCH_CONCURRENCY: connections in flight during the connection-rate run */
  concurrency: number;
  /** BENCH_STREAMS: parallel downloads in the multi-connection test */
  streams: number;
  /** BENCH_IDLE: idle tunnels held open for the memory test */
  idleConnections: number;
  /** BENCH_LOADGEN_THREADS: epoll threads in the load generator (one per core keeps it off the critical path) */
  loadgenThreads: number;
  /** BENCH_ROUNDS: every load runs this many times per subject, interleaved; the figure is the median */
  rounds: number;
  /** BENCH_TIMEOUT_S: the whole run is killed after this long */
  timeoutSeconds: number;
}

/** A number setting from the environment: `fallback` when unset or empty, else a number ≥ min (an integer unless told). */
export function envNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, integer = true): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new Error(`${name}: expected ${integer ? 'an integer' : 'a number'} ≥ ${min}, got "${raw}"`);
  }
  return n;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const streams = envNumber(env, 'BENCH_STREAMS', 8, 1);
  return {
    bulkMiB: envNumber(env, 'BENCH_BULK_MIB', 1024, streams),
    seconds: envNumber(env, 'BENCH_SECONDS', 5, 0.5, false),
    warmupSeconds: envNumber(env, 'BENCH_WARMUP_SECONDS', 0.5, 0, false),
    concurrency: envNumber(env, 'BENCH_CONCURRENCY', 32, 1),
    streams,
    idleConnections: envNumber(env, 'BENCH_IDLE', 1000, 1),
    loadgenThreads: envNumber(env, 'BENCH_LOADGEN_THREADS', 2, 1),
    rounds: envNumber(env, 'BENCH_ROUNDS', 3, 1),
    timeoutSeconds: envNumber(env, 'BENCH_TIMEOUT_S', 1800, 10),
  };
}
