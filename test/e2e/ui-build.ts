import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RENDERER_DIR = path.join(ROOT, 'renderer');
export const UI_DIST = path.join(RENDERER_DIR, 'dist');

/** Newest modification time of the renderer's sources (src/, index.html, vite config). */
function newestSource(): number {
  let newest = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  walk(path.join(RENDERER_DIR, 'src'));
  for (const f of ['index.html', 'vite.config.ts']) newest = Math.max(newest, statSync(path.join(RENDERER_DIR, f)).mtimeMs);
  return newest;
}

/**
 * Builds the UI with Vite when renderer/dist is missing or older than its sources, so the browser tests
 * and the UI benchmark always exercise the current code. The build goes to a temp folder that replaces
 * dist in one rename, so a suite running beside it never serves a half-written build.
 */
export async function ensureUiBuilt(): Promise<{ built: boolean }> {
  const index = path.join(UI_DIST, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestSource()) return { built: false };
  const { build } = await import('vite');
  const outDir = path.join(RENDERER_DIR, `.dist-${process.pid}-${Date.now()}`);
  // Vitest sets NODE_ENV=test, which would make Vite bundle Svelte's development build; test the real one.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ configFile: path.join(RENDERER_DIR, 'vite.config.ts'), mode: 'production', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    rmSync(UI_DIST, { recursive: true, force: true });
    renameSync(outDir, UI_DIST);
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
    rmSync(outDir, { recursive: true, force: true });
  }
  return { built: true };
}
