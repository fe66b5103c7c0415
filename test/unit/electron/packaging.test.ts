import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadProfileFile } from '../../../core/config/load.js';
import { createProtocolRegistry } from '../../../core/protocol/index.js';

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

  it('names files that exist: the entry, the icons, and the folders the app loads at run time', async () => {
    const c = await loadBuilderConfig();
    expect(existsSync(path.join(ROOT, c.extraMetadata.main))).toBe(true);
    for (const icon of [c.linux.icon, c.mac.icon, c.win.icon]) expect(existsSync(path.join(ROOT, icon))).toBe(true);
    const files = (parse(readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as { files: string[] }).files;
    for (const needed of ['core/**/*', 'electron/**/*', 'resources/**/*', 'renderer/dist/**/*', 'package.json', 'bin/switchyard.mjs']) expect(files).toContain(needed);
    expect(existsSync(path.join(ROOT, c.directories.buildResources))).toBe(true);
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

  it('the default profile loads: mixed port 7890, controller 127.0.0.1:9090, everything DIRECT', async () => {
    const { profile } = await loadProfileFile(path.join(ROOT, 'resources', 'default-profile.yaml'), createProtocolRegistry());
    expect(profile.mixedPort).toBe(7890);
    expect(profile.externalController).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(profile.rules).toEqual([expect.objectContaining({ type: 'MATCH', target: 'DIRECT' })]);
  });
});
