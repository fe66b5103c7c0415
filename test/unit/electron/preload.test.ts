import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { DESKTOP_EVENTS, DESKTOP_GLOBAL, DESKTOP_METHODS, DesktopActionError, desktopApi, eventChannel, invokeChannel, type DesktopBridge, type Outcome } from '../../../electron/contract.js';

const PRELOAD = path.resolve(__dirname, '../../../electron/preload.cjs');

/**
 * Runs the real preload.cjs with a stand-in for the two Electron modules it uses (contextBridge,
 * ipcRenderer), the way Electron runs a sandboxed preload: a CommonJS function given `require`.
 */
function loadPreload(answer: (channel: string, args: unknown[]) => Outcome<unknown>) {
  const exposed: Record<string, unknown> = {};
  const invoked: { channel: string; args: unknown[] }[] = [];
  const listeners = new Map<string, Set<(event: unknown, payload: unknown) => void>>();
  const electron = {
    contextBridge: { exposeInMainWorld: (name: string, api: unknown) => (exposed[name] = api) },
    ipcRenderer: {
      invoke: async (channel: string, ...args: unknown[]) => {
        invoked.push({ channel, args });
        return answer(channel, args);
      },
      on: (channel: string, l: (event: unknown, payload: unknown) => void) => {
        if (!listeners.has(channel)) listeners.set(channel, new Set());
        listeners.get(channel)!.add(l);
      },
      removeListener: (channel: string, l: (event: unknown, payload: unknown) => void) => listeners.get(channel)?.delete(l),
    },
  };
  const require = (name: string) => {
    if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
    return electron;
  };
  const wrapper = vm.runInThisContext(`(function (require, module, exports) {${readFileSync(PRELOAD, 'utf8')}\n})`, { filename: PRELOAD });
  const module = { exports: {} };
  wrapper(require, module, module.exports);
  const emit = (channel: string, payload: unknown) => {
    for (const l of listeners.get(channel) ?? []) l({}, payload);
  };
  return { bridge: exposed[DESKTOP_GLOBAL] as DesktopBridge, exposed, invoked, emit, listeners };
}

describe('preload', () => {
  it('exposes one function per contract method, and `on`, under the contract global only', () => {
    const { exposed, bridge } = loadPreload(() => ({ result: null }));
    expect(Object.keys(exposed)).toEqual([DESKTOP_GLOBAL]);
    expect(Object.keys(bridge).sort()).toEqual([...DESKTOP_METHODS, 'on'].sort());
  });

  it('calls main on the channels contract.ts names, with the arguments given', async () => {
    const { bridge, invoked } = loadPreload(() => ({ result: { enabled: true, backend: 'gnome', endpoint: null } }));
    await bridge.setSystemProxy(true);
    await bridge.getController();
    expect(invoked).toEqual([
      { channel: invokeChannel('setSystemProxy'), args: [true] },
      { channel: invokeChannel('getController'), args: [] },
    ]);
    for (const method of DESKTOP_METHODS) {
      invoked.length = 0;
      await (bridge[method] as (...a: unknown[]) => Promise<unknown>)(false);
      expect(invoked[0]?.channel).toBe(invokeChannel(method));
    }
  });

  it('errors cross as data and desktopApi() throws them again with their code', async () => {
    const { bridge } = loadPreload((channel) =>
      channel === invokeChannel('setSystemProxy') ? { error: { code: 'SYSTEM_PROXY_COMMAND', message: 'gsettings set failed' } } : { result: { url: 'http://127.0.0.1:1', token: 't' } },
    );
    expect(await bridge.setSystemProxy(true)).toEqual({ error: { code: 'SYSTEM_PROXY_COMMAND', message: 'gsettings set failed' } });
    const api = desktopApi(bridge)!;
    const err = await api.setSystemProxy(true).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DesktopActionError);
    expect(err).toMatchObject({ code: 'SYSTEM_PROXY_COMMAND', message: 'gsettings set failed' });
    expect(await api.getController()).toEqual({ url: 'http://127.0.0.1:1', token: 't' });
  });

  it('subscriptions deliver events until the returned function is called', () => {
    const { bridge, emit, listeners } = loadPreload(() => ({ result: null }));
    const seen: unknown[] = [];
    const stop = desktopApi(bridge)!.on('controller', (info) => seen.push(info));
    emit(eventChannel('controller'), { url: 'http://127.0.0.1:2', token: 'a' });
    stop();
    emit(eventChannel('controller'), { url: 'http://127.0.0.1:3', token: 'b' });
    expect(seen).toEqual([{ url: 'http://127.0.0.1:2', token: 'a' }]);
    expect(listeners.get(eventChannel('controller'))?.size).toBe(0);
    expect(DESKTOP_EVENTS.map(eventChannel)).toEqual(['desktop-event:controller', 'desktop-event:state']);
    expect(() => bridge.on('nope' as 'state', () => {})).toThrow('unknown desktop event "nope"');
  });

  it('desktopApi() is undefined in a plain browser, where there is no bridge', () => {
    expect(desktopApi()).toBeUndefined();
  });
});
