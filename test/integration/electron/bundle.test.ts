import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { builtinModules } from 'node:module';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CoreToMain } from '../../../electron/core-messages.js';
import { ensureUiBuilt } from '../../e2e/ui-build.js';
import { freePort } from '../../helpers/ports.js';

/*
 * The desktop shell's esbuild bundles (scripts/build-electron.mjs), built here, then run as the app runs
 * them: the core process forked by Node (it speaks IPC then, as test/integration/electron/node-core.ts
 * uses), and core-entry.mjs choosing between the bundle and the sources in a copy of the checkout.
 * There is no Electron binary here: the main bundle is checked by what it imports and how far it loads.
 */

const ROOT = path.resolve(__dirname, '../../..');
const DIST = path.join(ROOT, 'dist', 'electron');

interface Metafile {
  outputs: Record<string, { entryPoint?: string; imports: { path: string; kind: string; external?: boolean }[] }>;
}

let metafile: Metafile;
let buildMs: number;
let dir: string;
let profile: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  await ensureUiBuilt();
  const { buildElectron } = (await import(pathToFileURL(path.join(ROOT, 'scripts', 'build-electron.mjs')).href)) as { buildElectron(): Promise<{ metafile: Metafile }> };
  const t0 = Date.now();
  ({ metafile } = await buildElectron());
  buildMs = Date.now() - t0;
  dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-bundle-'));
  profile = path.join(dir, 'profile.yaml');
  writeFileSync(profile, `mixed-port: ${await freePort()}\nexternal-controller: 127.0.0.1:1\nrules:\n  - MATCH,DIRECT\n`);
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Forks `entry` with the profile as main would start it, collecting its output (and `env`'s debug lines). */
function forkCore(entry: string, env: NodeJS.ProcessEnv = {}) {
  const child = fork(entry, ['--profile', profile], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, ...env } });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<Extract<CoreToMain, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready from ${entry} in 30 s:\n${out.slice(-4000)}`)), 30_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      const message = m as CoreToMain;
      if (message.type === 'ready') resolve(message);
      else reject(new Error(`${entry} said ${JSON.stringify(message)}:\n${out.slice(-4000)}`));
    });
    void exited.then((code) => reject(new Error(`${entry} exited ${code} before ready:\n${out.slice(-4000)}`)));
  });
  const stop = async () => {
    child.send({ type: 'stop' });
    return exited;
  };
  return { child, ready, stop, output: () => out };
}

/** The outputs an output loads, statically or on demand, through chunks: their external imports. */
function externalImports(entryPoint: string): Set<string> {
  const outputs = metafile.outputs;
  const start = Object.keys(outputs).find((o) => outputs[o]!.entryPoint === entryPoint);
  if (!start) throw new Error(`no output for ${entryPoint}`);
  const seen = new Set<string>();
  const externals = new Set<string>();
  const visit = (output: string) => {
    if (seen.has(output)) return;
    seen.add(output);
    for (const imp of outputs[output]!.imports) {
      if (imp.external) externals.add(imp.path);
      else if (imp.path in outputs) visit(imp.path);
      else throw new Error(`${output} imports ${imp.path}, which the build did not write`);
    }
  };
  visit(start);
  return externals;
}

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const nativeExternals = ['better-sqlite3', 'bufferutil', 'utf-8-validate'];

describe('the desktop bundles', () => {
  it('build into dist/electron/ with a build-info.json naming their sources', () => {
    expect(buildMs).toBeLessThan(20_000);
    for (const file of ['main.mjs', 'core-process.mjs', 'build-info.json']) expect(existsSync(path.join(DIST, file))).toBe(true);
    const info = JSON.parse(readFileSync(path.join(DIST, 'build-info.json'), 'utf8')) as { startedAt: number; inputs: string[] };
    expect(info.inputs).toEqual(expect.arrayContaining(['electron/main.ts', 'electron/core-process.ts', 'electron/core-host.ts', 'core/engine.ts', 'package-lock.json']));
    expect(info.startedAt).toBeLessThanOrEqual(Date.now());
  });

  it('main.mjs imports only electron, Node built-ins and the native externals; the core process not electron', () => {
    const main = externalImports('electron/main.ts');
    expect(main).toContain('electron');
    const unexpected = [...main].filter((m) => m !== 'electron' && !builtins.has(m) && !nativeExternals.includes(m));
    expect(unexpected).toEqual([]);

    const core = externalImports('electron/core-process.ts');
    expect(core).toContain('better-sqlite3');
    expect([...core].filter((m) => !builtins.has(m) && !nativeExternals.includes(m))).toEqual([]);
  });

  it('main.mjs loads under Node as far as linking against electron (which only the Electron runtime provides)', async () => {
    // Under Node, `electron` is the npm package that exports the binary's path: every chunk has been found
    // and parsed by the time linking asks it for `app`, so a missing chunk or package would fail first.
    // In a plain Node process, not through vitest's module runner.
    const script = `import(${JSON.stringify(pathToFileURL(path.join(DIST, 'main.mjs')).href)}).then(() => console.log('loaded'), (e) => console.log(e.name + ': ' + e.message.split('\\n')[0]))`;
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(res.stdout.trim()).toMatch(/^SyntaxError: Named export '\w+' not found\. The requested module 'electron' is a CommonJS module/);
  });

  it('core-process.mjs, forked, reports ready, serves /version and /ui, and stops with exit 0', async () => {
    const core = forkCore(path.join(DIST, 'core-process.mjs'));
    const ready = await core.ready;
    const url = `http://127.0.0.1:${ready.port}`;
    expect((await fetch(`${url}/version`)).status).toBe(401);
    const version = await fetch(`${url}/version`, { headers: { authorization: `Bearer ${ready.secret}` } });
    expect(version.status).toBe(200);
    // The controller reads the version from package.json, found from its source's place.
    const { version: expected } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await version.json()).toMatchObject({ version: expect.stringContaining(expected) });
    const ui = await fetch(`${url}/ui/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toBe(readFileSync(path.join(ROOT, 'renderer', 'dist', 'index.html'), 'utf8'));
    expect(await core.stop()).toBe(0);
  });
});

describe('core-entry.mjs', () => {
  let copy: string;

  /** NODE_DEBUG=esm makes Node's loader name every module it stores: which core-process ran. */
  const loaded = (output: string) => ({
    bundle: output.includes(pathToFileURL(path.join(copy, 'dist', 'electron', 'core-process.mjs')).href),
    sources: output.includes(pathToFileURL(path.join(copy, 'electron', 'core-process.ts')).href),
  });

  beforeAll(() => {
    // A copy of the checkout's shape, so making it stale touches nobody's files (and edits in the checkout
    // meanwhile do not make it stale): the sources and the bundle copied with their times, the rest linked.
    copy = path.join(dir, 'checkout');
    mkdirSync(path.join(copy, 'bin'), { recursive: true });
    mkdirSync(path.join(copy, 'dist'));
    for (const tree of ['electron', 'core', 'dist/electron', 'package.json', 'package-lock.json', 'bin/bundle-freshness.mjs']) {
      cpSync(path.join(ROOT, tree), path.join(copy, tree), { recursive: true, preserveTimestamps: true });
    }
    for (const linked of ['node_modules', 'renderer', 'resources']) symlinkSync(path.join(ROOT, linked), path.join(copy, linked));
  });

  /** What the copy's freshness check says, for a failure's message. */
  const problem = async () => ((await import(pathToFileURL(path.join(copy, 'bin', 'bundle-freshness.mjs')).href)) as { bundleProblem(dir: string, build: string): string | undefined }).bundleProblem('dist/electron', 'a build');

  it('runs the bundle while it is up to date', async () => {
    expect(await problem()).toBeUndefined();
    const core = forkCore(path.join(copy, 'electron', 'core-entry.mjs'), { NODE_DEBUG: 'esm' });
    await core.ready;
    expect(await core.stop()).toBe(0);
    expect(loaded(core.output())).toEqual({ bundle: true, sources: false });
  });

  it('runs the sources through tsx once one of them changed after the build', async () => {
    const source = path.join(copy, 'electron', 'core-process.ts');
    const later = new Date(Date.now() + 1000);
    utimesSync(source, later, later);
    expect(await problem()).toBe('electron/core-process.ts changed after the build (a build)');
    const core = forkCore(path.join(copy, 'electron', 'core-entry.mjs'), { NODE_DEBUG: 'esm' });
    await core.ready;
    expect(await core.stop()).toBe(0);
    expect(loaded(core.output())).toEqual({ bundle: false, sources: true });
  });

  it('runs the bundle where no sources are shipped (the packaged layout), with only the native modules beside it', async () => {
    // What electron-builder.yml packs: no .ts, no core/, and of node_modules only what the bundle leaves external.
    for (const ts of ['core-process.ts', 'core-host.ts', 'main.ts']) rmSync(path.join(copy, 'electron', ts));
    rmSync(path.join(copy, 'core'), { recursive: true });
    rmSync(path.join(copy, 'node_modules'));
    mkdirSync(path.join(copy, 'node_modules'));
    for (const dep of ['better-sqlite3', 'bindings', 'file-uri-to-path']) symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(copy, 'node_modules', dep));
    const core = forkCore(path.join(copy, 'electron', 'core-entry.mjs'), { NODE_DEBUG: 'esm' });
    const ready = await core.ready;
    const ui = await fetch(`http://127.0.0.1:${ready.port}/ui/`);
    expect(ui.status).toBe(200);
    const version = await fetch(`http://127.0.0.1:${ready.port}/version`, { headers: { authorization: `Bearer ${ready.secret}` } });
    expect(version.status).toBe(200);
    expect(await core.stop()).toBe(0);
    expect(loaded(core.output())).toEqual({ bundle: true, sources: false });
  });
});
