import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DesktopError } from '../../../../electron/errors.js';
import { SavedProxySettings } from '../../../../electron/system-proxy/saved-settings.js';
import { SystemProxyService } from '../../../../electron/system-proxy/system-proxy-service.js';
import type { ProxyEndpoint, SystemProxyBackend } from '../../../../electron/system-proxy/types.js';

/** Desktop settings in memory; `failApply` makes the next apply fail half-way, as a real command can. */
class MemoryBackend implements SystemProxyBackend<Record<string, string>> {
  name = 'memory';
  settings: Record<string, string> = { mode: 'auto', url: 'http://wpad/wpad.dat' };
  failApply = false;
  readonly log: string[] = [];
  async read() {
    this.log.push('read');
    return { ...this.settings };
  }
  async apply(endpoint: ProxyEndpoint, bypass: readonly string[]) {
    this.log.push('apply');
    this.settings = { mode: 'manual', host: endpoint.host, port: String(endpoint.port), bypass: bypass.join(',') };
    if (this.failApply) throw new DesktopError('SYSTEM_PROXY_COMMAND', 'gsettings set failed: no such key');
  }
  async restore(saved: Record<string, string>) {
    this.log.push('restore');
    // Slow enough that overlapping calls would interleave if they were not serialised.
    await new Promise((r) => setTimeout(r, 5));
    this.settings = { ...saved };
  }
}

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'switchyard-sysproxy-'));
  file = path.join(dir, 'state', 'system-proxy-saved.json');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const ENDPOINT = { host: '127.0.0.1', port: 7890 };
const original = { mode: 'auto', url: 'http://wpad/wpad.dat' };

describe('SystemProxyService', () => {
  it('saves the user settings to a private file before applying ours, and restores them exactly', async () => {
    const backend = new MemoryBackend();
    const service = new SystemProxyService(backend, new SavedProxySettings(file), ['localhost'], () => 1234);
    await service.enable(ENDPOINT);
    expect(backend.settings).toEqual({ mode: 'manual', host: '127.0.0.1', port: '7890', bypass: 'localhost' });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ backend: 'memory', savedAt: 1234, endpoint: ENDPOINT, settings: original });
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o077).toBe(0);
    expect(service.status()).toEqual({ enabled: true, backend: 'memory', endpoint: ENDPOINT });
    await service.disable();
    expect(backend.settings).toEqual(original);
    expect(() => statSync(file)).toThrow();
    expect(service.status()).toEqual({ enabled: false, backend: 'memory', endpoint: null });
  });

  it('enabling again (a restarted core) keeps the first saved settings, not our own', async () => {
    const backend = new MemoryBackend();
    const service = new SystemProxyService(backend, new SavedProxySettings(file), []);
    await service.enable(ENDPOINT);
    await service.enable({ host: '127.0.0.1', port: 7891 });
    expect(backend.log).toEqual(['read', 'apply', 'apply']);
    await service.disable();
    expect(backend.settings).toEqual(original);
  });

  it('a failed apply puts the user settings back and reports the command error', async () => {
    const backend = new MemoryBackend();
    backend.failApply = true;
    const service = new SystemProxyService(backend, new SavedProxySettings(file), []);
    await expect(service.enable(ENDPOINT)).rejects.toMatchObject({ code: 'SYSTEM_PROXY_COMMAND' });
    expect(backend.settings).toEqual(original);
    expect(service.enabled).toBe(false);
    expect(() => statSync(file)).toThrow();
  });

  it('recover() at the next start restores what a crashed run left, once', async () => {
    const backend = new MemoryBackend();
    await new SystemProxyService(backend, new SavedProxySettings(file), []).enable(ENDPOINT);
    // That process died here. A new one:
    const next = new SystemProxyService(backend, new SavedProxySettings(file), []);
    expect(await next.recover()).toBe(true);
    expect(backend.settings).toEqual(original);
    expect(await next.recover()).toBe(false);
  });

  it('disable with nothing saved changes nothing', async () => {
    const backend = new MemoryBackend();
    await new SystemProxyService(backend, new SavedProxySettings(file), []).disable();
    expect(backend.log).toEqual([]);
  });

  it('runs overlapping calls in order (a fast double click on the tray)', async () => {
    const backend = new MemoryBackend();
    const service = new SystemProxyService(backend, new SavedProxySettings(file), []);
    await Promise.all([service.enable(ENDPOINT), service.disable(), service.enable(ENDPOINT), service.disable()]);
    expect(backend.log).toEqual(['read', 'apply', 'restore', 'read', 'apply', 'restore']);
    expect(backend.settings).toEqual(original);
  });

  it('a damaged or foreign saved file is reported and left in place for the user', async () => {
    const backend = new MemoryBackend();
    const saved = new SavedProxySettings(file);
    await saved.save({ backend: 'kde', savedAt: 1, endpoint: ENDPOINT, settings: {} });
    const service = new SystemProxyService(backend, saved, []);
    await expect(service.recover()).rejects.toMatchObject({ code: 'SYSTEM_PROXY_STATE', message: expect.stringContaining("the saved system proxy settings are kde's") });
    expect(statSync(file).isFile()).toBe(true);
    writeFileSync(file, '{"backend": ');
    await expect(service.recover()).rejects.toMatchObject({ code: 'SYSTEM_PROXY_STATE', message: expect.stringContaining('are damaged') });
  });

  it('without a backend the service says the desktop is not supported', async () => {
    const service = new SystemProxyService(undefined, new SavedProxySettings(file), []);
    expect(service.available).toBe(false);
    await expect(service.enable(ENDPOINT)).rejects.toMatchObject({ code: 'SYSTEM_PROXY_UNSUPPORTED' });
  });
});
