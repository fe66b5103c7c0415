import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadProfileFile } from '../../../core/config/load.js';
import { createProtocolRegistry } from '../../../core/protocol/index.js';
import { NATIVE_AEAD_ADDON } from '../../../core/protocol/common/native-aead.js';
import { SOCK_DIAG_ADDON } from '../../../core/route/process/linux-sock-diag.js';
import { ensureUiBuilt } from '../../e2e/ui-build.js';

const ROOT = path.resolve(__dirname, '../../..');
const require = createRequire(import.meta.url);

/*
 * electron-builder.yml and resources/ checked without building a package (that downloads Electron):
 * electron-builder's own loader and schema validation, then what this app needs of the config.
 */

interface BuilderConfig {
  extraMetadata: { main: string };
  npmRebuild: boolean;
  buildDependenciesFromSource: boolean;
  protocols: { schemes: string[] }[];
  linux: { target: string[]; icon: string; mimeTypes: string[] };
  mac: { target: string; icon: string };
  win: { target: string; icon: string };
  directories: { buildResources: string };
}

async function loadBuilderConfig(): Promise<BuilderConfig> {
  const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
    getConfig(projectDir: string, configPath: string | null, fromOptions: null): Promise<BuilderConfig>;
    validateConfiguration(config: unknown, logger: unknown): Promise<void>;
  };
  const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
  const config = await getConfig(ROOT, path.join(ROOT, 'electron-builder.yml'), null);
  await validateConfiguration(config, new DebugLogger(false));
  return config;
}

describe('electron-builder.yml', () => {
  it('passes electron-builder 25 schema validation', async () => {
    await expect(loadBuilderConfig()).resolves.toBeDefined();
  });

  it('a misspelt option would not pass (the validation is real)', async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as { validateConfiguration(config: unknown, logger: unknown): Promise<void> };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    const broken = { ...parse(readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')), linux: { targets: ['AppImage'] } };
    await expect(validateConfiguration(broken, new DebugLogger(false))).rejects.toThrow(/configuration object that does not match the API schema/);
  });

  it('targets AppImage and deb, dmg, nsis; rebuilds better-sqlite3 for Electron from source', async () => {
    const c = await loadBuilderConfig();
    expect(c.linux.target).toEqual(['AppImage', 'deb']);
    expect(c.mac.target).toBe('dmg');
    expect(c.win.target).toBe('nsis');
    expect(c.npmRebuild).toBe(true);
    expect(c.buildDependenciesFromSource).toBe(true);
    expect(c.protocols.flatMap((p) => p.schemes)).toEqual(['switchyard', 'clash']);
    expect(c.linux.mimeTypes).toEqual(['x-scheme-handler/switchyard', 'x-scheme-handler/clash']);
  });

  it('names files that exist: the icons and the build resources', async () => {
    const c = await loadBuilderConfig();
    for (const icon of [c.linux.icon, c.mac.icon, c.win.icon]) expect(existsSync(path.join(ROOT, icon))).toBe(true);
    expect(existsSync(path.join(ROOT, c.directories.buildResources))).toBe(true);
  });
});

/*
 * What the package holds, computed as electron-builder computes it (its own FileMatcher and filter over
 * the project's files; node_modules is copied by a separate pass that honours the `!node_modules/…`
 * patterns), after the builds the package is made from: npm run build:ui and build:electron.
 */
describe('the packaged files, after a build', () => {
  const minimatch = (file: string, pattern: string) =>
    (createRequire(require.resolve('app-builder-lib'))('minimatch') as { minimatch(f: string, p: string, o: object): boolean }).minimatch(file, pattern, { dot: true });
  /**
   * Our addons are optional: sock_diag is Linux only and its build may fail (lookup falls back to /proc);
   * the AEAD addon's build may fail too (VMess and Shadowsocks fall back to node:crypto).
   */
  const optional = (pattern: string) =>
    (pattern.includes('native/sockdiag/') && !existsSync(SOCK_DIAG_ADDON)) || (pattern.includes('native/aead/') && !existsSync(NATIVE_AEAD_ADDON));
  /** The globs as written (electron-builder's loader turns them into file sets). */
  let c: BuilderConfig & { files: string[]; asar: boolean; asarUnpack: string[] };
  let project: string[];
  let packaged: string[];

  /** Files under `dir` (relative to ROOT, `/`-separated) that `keep` admits, folders pruned by it too. */
  function walk(dir: string, keep: (file: string, stat: Stats) => boolean, out: string[] = []): string[] {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      const stat = statSync(file);
      if (!keep(file, stat)) continue;
      if (stat.isDirectory()) walk(file, keep, out);
      else out.push(path.relative(ROOT, file).split(path.sep).join('/'));
    }
    return out;
  }

  beforeAll(async () => {
    await ensureUiBuilt();
    const freshness = (await import(pathToFileURL(path.join(ROOT, 'bin', 'bundle-freshness.mjs')).href)) as { bundleProblem(dir: string, build: string): string | undefined };
    if (freshness.bundleProblem('dist/electron', 'build') !== undefined) {
      const { buildElectron } = (await import(pathToFileURL(path.join(ROOT, 'scripts', 'build-electron.mjs')).href)) as { buildElectron(): Promise<unknown> };
      // Another suite may be building the same bundle: either build leaves it up to date.
      await buildElectron().catch(() => undefined);
    }
    expect(freshness.bundleProblem('dist/electron', 'build')).toBeUndefined();
    c = { ...(await loadBuilderConfig()), ...(parse(readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as { files: string[]; asar: boolean; asarUnpack: string[] }) };
    const { FileMatcher } = require('app-builder-lib/out/fileMatcher') as {
      FileMatcher: new (from: string, to: string, expand: (s: string) => string, patterns: string[]) => { createFilter(): (file: string, stat: Stats) => boolean };
    };
    const outside = new Set(['.git', 'node_modules', 'dist/packages'].map((d) => path.join(ROOT, d)));
    project = walk(ROOT, (file) => !outside.has(file));
    const filter = new FileMatcher(ROOT, '/app', (s) => s, c.files).createFilter();
    packaged = walk(ROOT, (file, stat) => !outside.has(file) && filter(file, stat));
  });

  it('starts at an entry it contains, and holds no TypeScript', () => {
    expect(packaged).toContain(c.extraMetadata.main);
    expect(packaged.filter((f) => /\.[cm]?ts$/.test(f))).toEqual([]);
    expect(packaged.some((f) => f.startsWith('core/'))).toBe(false);
  });

  it('holds what the bundles load at run time: every chunk, the preload, the UI, the icons, the default profile', () => {
    const chunks = readdirSync(path.join(ROOT, 'dist', 'electron')).filter((f) => f.endsWith('.mjs'));
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) expect(packaged).toContain(`dist/electron/${chunk}`);
    for (const needed of ['package.json', 'bin/bundle-freshness.mjs', 'electron/core-entry.mjs', 'electron/preload.cjs', 'renderer/dist/index.html', 'resources/icon.png', 'resources/tray/on@2x.png', 'resources/default-profile.yaml']) {
      expect(packaged).toContain(needed);
    }
    expect(packaged.filter((f) => f.endsWith('.map'))).toEqual([]);
  });

  it('every `files` glob matches a file: what it adds, or what it takes out', () => {
    const positives = c.files.filter((p) => !p.startsWith('!'));
    const included = new Set(project.filter((f) => positives.some((p) => minimatch(f, p))));
    for (const pattern of c.files) {
      if (optional(pattern)) continue;
      if (!pattern.startsWith('!')) {
        expect(packaged.some((f) => minimatch(f, pattern)), pattern).toBe(true);
      } else if (pattern.startsWith('!node_modules/')) {
        // Dependencies the bundles hold or the packaged app never runs; better-sqlite3 stays.
        const modules = readdirSync(path.join(ROOT, 'node_modules')).flatMap((m) => (m.startsWith('@') ? readdirSync(path.join(ROOT, 'node_modules', m)).map((s) => `node_modules/${m}/${s}`) : [`node_modules/${m}`]));
        expect(modules.some((m) => minimatch(`${m}/package.json`, pattern.slice(1))), pattern).toBe(true);
        expect(minimatch('node_modules/better-sqlite3/package.json', pattern.slice(1)), pattern).toBe(false);
      } else {
        expect([...included].some((f) => minimatch(f, pattern.slice(1))), pattern).toBe(true);
      }
    }
  });

  it('is an asar archive with every native addon unpacked beside it', () => {
    expect(c.asar).toBe(true);
    const natives = [...packaged, ...walk(path.join(ROOT, 'node_modules', 'better-sqlite3'), () => true)].filter((f) => f.endsWith('.node'));
    expect(natives).toContain('node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    for (const pattern of c.asarUnpack) if (!optional(pattern)) expect(natives.some((f) => minimatch(f, pattern)), pattern).toBe(true);
    for (const addon of natives) expect(c.asarUnpack.some((p) => minimatch(addon, p)), addon).toBe(true);
    // Where core/route/process/linux-sock-diag.ts and core/protocol/common/native-aead.ts load the addons from, built or not.
    for (const file of [SOCK_DIAG_ADDON, NATIVE_AEAD_ADDON]) {
      const addon = path.relative(ROOT, file).split(path.sep).join('/');
      expect(c.asarUnpack.some((p) => minimatch(addon, p)), addon).toBe(true);
      expect(c.files.some((p) => minimatch(addon, p)), addon).toBe(true);
    }
  });
});

describe('resources', () => {
  it('the committed icons are what generate-icons.mjs draws', () => {
    execFileSync(process.execPath, [path.join(ROOT, 'resources', 'generate-icons.mjs'), '--check'], { stdio: 'pipe' });
  });

  it('icons are PNGs of the sizes the tray and the packagers need', () => {
    const size = (file: string) => {
      const png = readFileSync(path.join(ROOT, 'resources', file));
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      return [png.readUInt32BE(16), png.readUInt32BE(20)];
    };
    // electron-builder makes .icns and .ico from a PNG of at least 512×512.
    expect(size('icon.png')).toEqual([512, 512]);
    for (const state of ['off', 'on', 'degraded']) {
      expect(size(`tray/${state}.png`)).toEqual([16, 16]);
      expect(size(`tray/${state}@2x.png`)).toEqual([32, 32]);
    }
  });

  it('the default profile loads: mixed port 7890, controller 127.0.0.1:9090, the local network DIRECT, the rest to a pool of every stored server', async () => {
    const { profile, warnings } = await loadProfileFile(path.join(ROOT, 'resources', 'default-profile.yaml'), createProtocolRegistry());
    expect(warnings).toEqual([]);
    expect(profile.mixedPort).toBe(7890);
    expect(profile.externalController).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(profile.proxyGroups).toEqual([expect.objectContaining({ name: 'Proxy', type: 'load-balance', includeAllProviders: true, proxies: [], use: [] })]);
    expect(profile.rules.at(-1)).toEqual(expect.objectContaining({ type: 'MATCH', target: 'Proxy' }));
    expect(profile.rules.filter((r) => r.target === 'DIRECT').map((r) => r.payload)).toEqual(expect.arrayContaining(['localhost', '127.0.0.0/8', '192.168.0.0/16', '::1/128']));
  });
});
