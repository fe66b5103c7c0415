#!/usr/bin/env node
/**
 * Bundles the desktop shell's two processes with esbuild into dist/electron/: the shipped form of the app.
 *
 *   electron/main.ts          → dist/electron/main.mjs          (the main process; electron/entry.mjs loads it)
 *   electron/core-process.ts  → dist/electron/core-process.mjs  (the core's utilityProcess; core-entry.mjs)
 *
 * Why: the packaged app otherwise runs TypeScript through tsx at every start (about 30 MiB for the compiler,
 * slower starts, and esbuild's native binary inside the package). Same options, import.meta.url rewrite and
 * build-info.json as the core's bundle (scripts/build-core.mjs), so the entries apply the same freshness
 * rule (bin/bundle-freshness.mjs). `electron` is provided by the runtime; native modules stay external.
 *
 *   node scripts/build-electron.mjs     (npm run build:electron)
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundle, external, root, sourceRelativeImportMeta } from './build-core.mjs';

export const electronOutDir = path.join(root, 'dist', 'electron');

/** What the bundles may import at run time: Electron itself, Node's built-ins, and the core's externals. */
export const electronExternal = ['electron', ...external];

/**
 * main.ts and launch.ts find the package root, preload.cjs and resources/ from their own URL, and the core
 * finds renderer/dist and package.json from its: in the bundle those stay the sources' URLs.
 */
const firstParty = /[\\/](core|electron)[\\/].*\.ts$/;

export function buildElectron() {
  return buildBundle(electronOutDir, {
    entryPoints: { main: 'electron/main.ts', 'core-process': 'electron/core-process.ts' },
    external: electronExternal,
    plugins: [sourceRelativeImportMeta(electronOutDir, firstParty)],
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  const { inputs, outputs } = await buildElectron();
  const js = outputs.filter((o) => o.endsWith('.mjs'));
  process.stdout.write(`built ${path.relative(root, electronOutDir)}/ from ${inputs.length} inputs into ${js.length} files in ${Date.now() - t0} ms\n`);
}
