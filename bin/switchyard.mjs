#!/usr/bin/env node
// `switchyard`: runs the bundled core (dist/core/cli.mjs, built by `npm run build:core`) when it is up to date,
// else the TypeScript sources through tsx, so a checkout never runs stale code and works without a build step.
//
// Up to date means: no file the bundle was built from (dist/core/build-info.json lists them, dependencies and
// package-lock.json included) changed after the build started, and none is gone (bundle-freshness.mjs).
//   SWITCHYARD_BUILT=1   the bundle or an error, never the sources (the benchmark; packaged use)
//   SWITCHYARD_BUILT=0   always the sources
//   unset                the bundle when up to date, else the sources
import v8 from 'node:v8';
import { chooseBundleOrSources } from './bundle-freshness.mjs';

// V8 grows the young generation from 1 to 8 MiB per semi-space under load and keeps it: up to 14 MiB of RSS
// for a proxy whose live young objects are a few hundred KiB. Growth is read at each GC, so this holds it at
// 1 MiB (measured: −10 MiB with 1,000 idle tunnels, no loss in throughput or connections/s; bench/README.md).
// An explicit --max-semi-space-size (e.g. from the desktop app) wins.
if (!process.execArgv.some((a) => a.startsWith('--max-semi-space-size') || a.startsWith('--semi-space-growth-factor'))) {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

const run = chooseBundleOrSources({ source: 'core/cli.ts', bundle: 'dist/core/cli.mjs', bundleDir: 'dist/core', build: 'npm run build:core' });
if (run.error !== undefined) {
  process.stderr.write(`switchyard: ${run.error}\n`);
  process.exit(1);
}
if (run.sources) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(run.url);
