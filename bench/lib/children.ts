import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/**
 * Every process the benchmark starts goes through here, so that all of them are killed at the end —
 * on success, on a thrown error, on Ctrl-C and on the run's own watchdog.
 */
const live = new Set<ChildProcess>();

/** The environment without proxy variables: a stray http_proxy must not reroute the direct baseline. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (/^(https?|all|no|ftp)_proxy$/i.test(key)) delete env[key];
  return { ...env, ...extra };
}

export function spawnTracked(cmd: string, args: string[], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(cmd, args, { env: cleanEnv(), ...options });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

export function killAllChildren(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

const exitCleanups: (() => void)[] = [];
/** A synchronous cleanup (removing the temp dir) that must also run when a signal ends the run. */
export function onExit(cleanup: () => void): void {
  exitCleanups.push(cleanup);
}

let guarded = false;
/** Kill the children whenever this process ends, however it ends. */
export function installExitGuards(): void {
  if (guarded) return;
  guarded = true;
  process.on('exit', () => {
    killAllChildren();
    for (const cleanup of exitCleanups) {
      try {
        cleanup();
      } catch {
        // best effort while exiting
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllChildren();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`. Resolves with how it ended. */
export function stopChild(child: ChildProcess, graceMs = 3000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve({ code: child.exitCode, signal: child.signalCode });
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
    child.kill('SIGTERM');
  });
}

export interface BoundedResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a command to completion, killing it after `timeoutMs`. Output is capped so a chatty child cannot grow us. */
export function runBounded(cmd: string, args: string[], timeoutMs: number, options: SpawnOptions = {}): Promise<BoundedResult> {
  const cap = 1 << 20;
  return new Promise((resolve) => {
    const child = spawnTracked(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      if (stdout.length < cap) stdout += d;
    });
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < cap) stderr += d;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: stderr + String(err.message), timedOut });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** Resolves with the first stdout line matching `pattern`; rejects when the child exits first or after `timeoutMs`. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const done = (fn: () => void) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onErr);
      child.off('exit', onExit);
      fn();
    };
    const onData = (d: Buffer) => {
      seen += d;
      const match = seen.match(pattern);
      if (match) done(() => resolve(match));
      if (seen.length > 64 * 1024) seen = seen.slice(-8 * 1024);
    };
    const onErr = (d: Buffer) => {
      seen += d;
      if (seen.length > 64 * 1024) seen = seen.slice(-8 * 1024);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      done(() => reject(new Error(`exited (${signal ?? code}) before printing ${pattern}: ${tail(seen)}`)));
    const timer = setTimeout(() => done(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms: ${tail(seen)}`))), timeoutMs);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onErr);
    child.once('exit', onExit);
  });
}

/** Drains a child's stdout and stderr, keeping only the last `bytes` for error messages. */
export function keepTail(child: ChildProcess, bytes = 4096): () => string {
  let kept = '';
  const onData = (d: Buffer) => {
    kept = (kept + d).slice(-bytes);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return () => kept;
}

function tail(text: string): string {
  const t = text.trim();
  return t ? t.slice(-600) : '(no output)';
}
