// @ts-check
// Whether an esbuild bundle (dist/core by scripts/build-core.mjs, dist/electron by scripts/build-electron.mjs)
// may run instead of the TypeScript sources: shared by bin/switchyard.mjs and the Electron entries.
//
// Up to date means: no file the bundle was built from (its build-info.json lists them, dependencies and
// package-lock.json included) changed after the build started, and none is gone.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

/**
 * Why the bundle in `bundleDir` (relative to the package root, e.g. 'dist/core') cannot be used, or
 * undefined when it is up to date. `build` is the command that rebuilds it, named in the answer.
 * @param {string} bundleDir
 * @param {string} build
 * @returns {string | undefined}
 */
export function bundleProblem(bundleDir, build) {
  /** @type {{ startedAt: number, inputs: string[] }} */
  let info;
  try {
    info = JSON.parse(readFileSync(`${root}${bundleDir}/build-info.json`, 'utf8'));
  } catch {
    return `not built (${build})`;
  }
  for (const input of info.inputs) {
    let mtime;
    try {
      mtime = statSync(root + input).mtimeMs;
    } catch {
      return `${input} is gone since the build`;
    }
    if (mtime > info.startedAt) return `${input} changed after the build (${build})`;
  }
  return undefined;
}

/**
 * The file URL to import for a program shipped both as TypeScript (`source`) and as a bundle (`bundle`),
 * both relative to the package root, and whether the sources need tsx. The bundle when it is up to date;
 * the bundle also when the sources are not there (the packaged app ships only the bundle, whose inputs
 * are then gone); else the sources. SWITCHYARD_BUILT=1 asks for the bundle or an error, =0 for the sources.
 * @param {{ source: string, bundle: string, bundleDir: string, build: string, env?: NodeJS.ProcessEnv }} program
 * @returns {{ url: string, sources: boolean, problem?: string, error?: undefined } | { error: string, url?: undefined, sources?: undefined }}
 */
export function chooseBundleOrSources({ source, bundle, bundleDir, build, env = process.env }) {
  const sourcesThere = existsSync(root + source);
  const problem = env.SWITCHYARD_BUILT === '0' ? 'SWITCHYARD_BUILT=0' : sourcesThere ? bundleProblem(bundleDir, build) : undefined;
  if (problem === undefined) return { url: pathToFileURL(root + bundle).href, sources: false };
  if (env.SWITCHYARD_BUILT === '1') return { error: `SWITCHYARD_BUILT=1 but the bundle cannot be used: ${problem}` };
  return { url: pathToFileURL(root + source).href, sources: true, problem };
}
