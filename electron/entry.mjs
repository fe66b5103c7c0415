// The Electron main entry (`electron electron/entry.mjs`, and `main` in the packaged app): the bundle
// dist/electron/main.mjs (npm run build:electron) when it is up to date or the sources are not shipped,
// else main.ts through tsx, as bin/switchyard.mjs chooses for the CLI.
import { chooseBundleOrSources } from '../bin/bundle-freshness.mjs';

const run = chooseBundleOrSources({ source: 'electron/main.ts', bundle: 'dist/electron/main.mjs', bundleDir: 'dist/electron', build: 'npm run build:electron' });
if (run.error !== undefined) throw new Error(run.error);
if (run.sources) (await import('tsx/esm/api')).register();
await import(run.url);
