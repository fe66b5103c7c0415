#!/usr/bin/env node
/**
 * Bundles the headless core (core/cli.ts and everything it imports, dependencies included) into
 * dist/core/ with esbuild: the shipped form of `switchyard`.
 *
 * Why a bundle: loading the core through tsx costs about 30 MiB of RSS for the compiler alone, and
 * loading every dependency file by file keeps each file's full source text in memory; one minified
 * ASCII file per chunk is about 60 MiB smaller at start (see bench/README.md).
 *
 * Layout: dist/core/cli.mjs plus chunks for what is loaded only when used (the controller), all in the
 * same folder, and dist/core/build-info.json listing every input file with the time the build started.
 * bin/switchyard.mjs runs the bundle only while no input is newer than that time (see there).
 * Native modules (better-sqlite3) stay in node_modules and are loaded from there.
 *
 *   node scripts/build-core.mjs     (npm run build:core)
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export const root = fileURLToPath(new URL('../', import.meta.url));
export const outDir = path.join(root, 'dist', 'core');

/** Packages with native .node binaries cannot be bundled; the optional ws accelerators may be absent. */
export const external = ['better-sqlite3', 'bufferutil', 'utf-8-validate'];

/**
 * Source files that find things next to themselves (`new URL('../../renderer/dist', import.meta.url)`)
 * keep doing so: their import.meta.url becomes the source file's own URL, computed relative to the
 * bundle so the checkout can move. Every output file sits directly in `bundleDir`, so one relative path
 * fits. `filter` picks the first-party sources (a path regexp).
 */
export function sourceRelativeImportMeta(bundleDir, filter) {
  return {
    name: 'source-relative-import-meta-url',
    setup(build) {
      build.onLoad({ filter }, async (args) => {
        let contents = await readFile(args.path, 'utf8');
        if (contents.includes('import.meta.url')) {
          const fromBundle = path.relative(bundleDir, args.path).split(path.sep).join('/');
          contents = contents.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`);
        }
        return { contents, loader: 'ts' };
      });
    },
  };
}

/**
 * The options every Switchyard bundle shares (the core's, the desktop app's): ESM for Node 20, chunks
 * beside the entries, lightly minified ASCII. `staging` is where esbuild writes.
 * @returns {import('esbuild').BuildOptions}
 */
export function bundleOptions(staging) {
  return {
    absWorkingDir: root,
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    external,
    // Whitespace and syntax only: names stay as written, for stack traces and error names, at no cost per call.
    // (Renaming saves about 1 MiB of RSS, but keeping names then wraps every closure created on the data path
    // in a name-setting call: measured about 10% more CPU per connection.) The linked source maps serve
    // `node --enable-source-maps`.
    minifyWhitespace: true,
    minifySyntax: true,
    // ASCII output is held as a one-byte string (half the memory of a two-byte one).
    charset: 'ascii',
    legalComments: 'linked',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    // Bundled CommonJS dependencies call require() for Node built-ins.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  };
}

/**
 * Builds into `bundleDir` with `options` (added to bundleOptions) and writes its build-info.json: the
 * inputs and the time the build started, which bin/bundle-freshness.mjs compares with the inputs' times.
 */
export async function buildBundle(bundleDir, options) {
  // Recorded before reading any input: an edit made while the build runs leaves the bundle stale.
  const startedAt = Date.now();
  // Built beside the old bundle (same depth, so the relative paths above hold) and swapped in by rename, so
  // a process starting meanwhile finds the old bundle, the new one or none (and runs the sources).
  const staging = `${bundleDir}.${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  const result = await esbuild.build({ ...bundleOptions(staging), ...options }).catch(async (err) => {
    await rm(staging, { recursive: true, force: true });
    throw err;
  });
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('<'));
  // package-lock.json changes when a dependency is installed or updated.
  inputs.push('package-lock.json');
  await writeFile(path.join(staging, 'build-info.json'), JSON.stringify({ startedAt, inputs }, null, 1));
  const old = `${bundleDir}.old.${process.pid}`;
  await rename(bundleDir, old).catch((err) => {
    if (err.code !== 'ENOENT') throw err;
  });
  await rename(staging, bundleDir);
  await rm(old, { recursive: true, force: true });
  return { startedAt, inputs, outputs: Object.keys(result.metafile.outputs), metafile: result.metafile };
}

export function buildCore() {
  return buildBundle(outDir, {
    entryPoints: { cli: 'core/cli.ts' },
    plugins: [sourceRelativeImportMeta(outDir, /[\\/]core[\\/].*\.ts$/)],
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  const { inputs, outputs } = await buildCore();
  const js = outputs.filter((o) => o.endsWith('.mjs'));
  process.stdout.write(`built ${path.relative(root, outDir)}/ from ${inputs.length} inputs into ${js.length} files in ${Date.now() - t0} ms\n`);
}
