#!/usr/bin/env node
// `switchyard`: runs the bundled core (dist/core/cli.mjs, built by `npm run build:core`) when it is up to date,
// else the TypeScript sources through tsx, so a checkout never runs stale code and works without a build step.
//
// Up to date means: no file the bundle was built from (dist/core/build-info.json lists them, dependencies and
// package-lock.json included) changed after the build started, and none is gone.
//   SWITCHYARD_BUILT=1   the bundle or an error, never the sources (the benchmark; packaged use)
//   SWITCHYARD_BUILT=0   always the sources
//   unset                the bundle when up to date, else the sources
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

const root = fileURLToPath(new URL('../', import.meta.url));
const bundle = new URL('../dist/core/cli.mjs', import.meta.url);

// V8 grows the young generation from 1 to 8 MiB per semi-space under load and keeps it: up to 14 MiB of RSS
// for a proxy whose live young objects are a few hundred KiB. Growth is read at each GC, so this holds it at
// 1 MiB (measured: −10 MiB with 1,000 idle tunnels, no loss in throughput or connections/s; bench/README.md).
// An explicit --max-semi-space-size (e.g. from the desktop app) wins.
if (!process.execArgv.some((a) => a.startsWith('--max-semi-space-size') || a.startsWith('--semi-space-growth-factor'))) {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/** Why the bundle cannot be used, or undefined when it is up to date. */
function bundleProblem() {
  let info;
  try {
    info = JSON.parse(readFileSync(new URL('../dist/core/build-info.json', import.meta.url), 'utf8'));
  } catch {
    return 'not built (npm run build:core)';
  }
  for (const input of info.inputs) {
    let mtime;
    try {
      mtime = statSync(root + input).mtimeMs;
    } catch {
      return `${input} is gone since the build`;
    }
    if (mtime > info.startedAt) return `${input} changed after the build (npm run build:core)`;
  }
  return undefined;
}

const mode = process.env.SWITCHYARD_BUILT;
const problem = mode === '0' ? 'SWITCHYARD_BUILT=0' : bundleProblem();
if (problem === undefined) {
  await import(bundle.href);
} else if (mode === '1') {
  process.stderr.write(`switchyard: SWITCHYARD_BUILT=1 but the bundle cannot be used: ${problem}\n`);
  process.exit(1);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../core/cli.ts');
}
