import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBounded } from './children.js';

const sourceDir = fileURLToPath(new URL('../native/', import.meta.url));

export interface NativeTools {
  /** bench/native/target.c: the HTTP destination (/hello, /bytes/N) */
  target: string;
  /** bench/native/loadgen.c: the connection-rate client */
  loadgen: string;
}

/** Compiles the C helpers into `outDir` (a temp dir: build output is never committed). */
export async function buildNativeTools(outDir: string): Promise<NativeTools> {
  const cc = process.env.CC ?? 'cc';
  const build = async (name: string) => {
    const out = path.join(outDir, name);
    const res = await runBounded(cc, ['-O2', '-Wall', '-o', out, path.join(sourceDir, `${name}.c`), '-lpthread'], 60_000);
    if (res.code !== 0) throw new Error(`${cc} could not build bench/native/${name}.c (${res.timedOut ? 'timed out' : `exit ${res.code}`}):\n${res.stderr}`);
    return out;
  };
  const [target, loadgen] = await Promise.all([build('target'), build('loadgen')]);
  return { target, loadgen };
}
