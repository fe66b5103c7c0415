import { spawn, type ChildProcess } from 'node:child_process';
import { waitForPort } from './ports.js';

export interface RunningProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout + stderr), for assertion messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts a reference server (microsocks, danted, v2ray, ss-server...) and waits until it accepts on
 * `port`. Fails with its output if it exits first.
 */
export async function startProcess(cmd: string, args: string[], port: number, opts: { env?: NodeJS.ProcessEnv; host?: string } = {}): Promise<RunningProcess> {
  const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) => reject(new Error(`${cmd} exited with ${code} before listening on ${port}:\n${out}`)));
    child.once('error', (err) => reject(new Error(`${cmd} failed to start: ${err.message}`)));
  });
  exited.catch(() => {});
  await Promise.race([waitForPort(port, opts.host ?? '127.0.0.1'), exited]);
  return {
    child,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
