import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/** The budget for everything the browser downloads (JS + CSS + HTML), gzipped. */
export const BUNDLE_BUDGET_BYTES = 250 * 1024;

/**
 * Prints the gzipped size of the whole production bundle and fails the build when it is over budget,
 * so a heavy dependency cannot slip in unnoticed.
 */
function bundleBudget(): Plugin {
  return {
    name: 'switchyard-bundle-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      let raw = 0;
      let gzipped = 0;
      for (const item of Object.values(bundle)) {
        if (!/\.(js|css|html)$/.test(item.fileName)) continue;
        const data = item.type === 'chunk' ? item.code : item.source;
        const bytes = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data);
        raw += bytes.length;
        gzipped += gzipSync(bytes, { level: 9 }).length;
      }
      const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
      const line = `bundle: ${kb(gzipped)} gzipped (${kb(raw)} raw), budget ${kb(BUNDLE_BUDGET_BYTES)}`;
      if (gzipped > BUNDLE_BUDGET_BYTES) this.error(`${line}: over budget`);
      // eslint-disable-next-line no-console
      console.log(`\n${line}`);
    },
  };
}

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The UI is served by the controller at /ui/ (core/api/static-ui.ts), so assets use relative paths.
 * `npm run dev:ui` proxies the API to SWITCHYARD_API (default http://127.0.0.1:9090) so the page and the
 * API share an origin, as they do when the controller serves the build.
 */
export default defineConfig({
  root,
  base: './',
  plugins: [svelte(), bundleBudget()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
  },
  server: {
    proxy: Object.fromEntries(
      ['/version', '/configs', '/proxies', '/group', '/providers', '/connections', '/traffic', '/memory', '/logs', '/rules', '/switchyard'].map((p) => [
        p,
        { target: process.env.SWITCHYARD_API ?? 'http://127.0.0.1:9090', ws: true, changeOrigin: true },
      ]),
    ),
  },
});
