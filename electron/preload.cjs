// @ts-check
'use strict';
/*
 * The window's only door to main: one function per desktop action of contract.ts, as
 * `window.switchyardDesktop`. A sandboxed preload is CommonJS and may require little but 'electron', so
 * this file is plain JavaScript; JSDoc types tie it to contract.ts and `npm run typecheck:electron`
 * checks it against both (a method missing here is a type error).
 */
const { contextBridge, ipcRenderer } = require('electron');

/** @typedef {import('./contract.ts').DesktopBridge} DesktopBridge */
/** @typedef {import('./contract.ts').DesktopInvokeMap} DesktopInvokeMap */
/** @typedef {import('./contract.ts').DesktopEvent} DesktopEvent */

/** Spelled as contract.ts's invokeChannel / eventChannel spell them (a unit test compares them). */
const INVOKE_PREFIX = 'desktop:';
const EVENT_PREFIX = 'desktop-event:';
/** @type {Record<DesktopEvent, true>} */
const EVENTS = { controller: true, state: true };

/**
 * @template {keyof DesktopInvokeMap} M
 * @param {M} method
 * @param {DesktopInvokeMap[M]['args']} args
 * @returns {Promise<import('./contract.ts').Outcome<DesktopInvokeMap[M]['result']>>}
 */
function call(method, ...args) {
  return ipcRenderer.invoke(INVOKE_PREFIX + method, ...args);
}

/** @type {DesktopBridge} */
const bridge = {
  getController: () => call('getController'),
  getState: () => call('getState'),
  setSystemProxy: (enabled) => call('setSystemProxy', Boolean(enabled)),
  setAutostart: (enabled) => call('setAutostart', Boolean(enabled)),
  importFromClipboard: () => call('importFromClipboard'),
  quit: () => call('quit'),
  on(event, listener) {
    if (!Object.hasOwn(EVENTS, event)) throw new Error(`unknown desktop event ${JSON.stringify(event)}`);
    const channel = EVENT_PREFIX + event;
    /** @param {unknown} _event @param {any} payload */
    const forward = (_event, payload) => listener(payload);
    ipcRenderer.on(channel, forward);
    return () => {
      ipcRenderer.removeListener(channel, forward);
    };
  },
};

contextBridge.exposeInMainWorld('switchyardDesktop', bridge);
