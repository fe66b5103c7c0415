// The core process entry (main forks it as a utilityProcess): the bundle dist/electron/core-process.mjs
// when it is up to date or the sources are not shipped, else core-process.ts through tsx.
import { chooseBundleOrSources } from '../bin/bundle-freshness.mjs';

const run = chooseBundleOrSources({ source: 'electron/core-process.ts', bundle: 'dist/electron/core-process.mjs', bundleDir: 'dist/electron', build: 'npm run build:electron' });
if (run.error !== undefined) throw new Error(run.error);
if (run.sources) (await import('tsx/esm/api')).register();
await import(run.url);
