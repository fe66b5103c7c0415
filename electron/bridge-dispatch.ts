import { DESKTOP_METHODS, type DesktopMethod, type Outcome } from './contract.js';
import type { DesktopHandlers } from './desktop-ports.js';
import { DesktopError, describeError } from './errors.js';

/** The arguments each method takes, checked before a handler runs: the page is not trusted to send them right. */
const ARG_CHECKS: Record<DesktopMethod, (args: readonly unknown[]) => boolean> = {
  getController: (a) => a.length === 0,
  getState: (a) => a.length === 0,
  setSystemProxy: (a) => a.length === 1 && typeof a[0] === 'boolean',
  setAutostart: (a) => a.length === 1 && typeof a[0] === 'boolean',
  importFromClipboard: (a) => a.length === 0,
  quit: (a) => a.length === 0,
};

/**
 * One call from the preload: checked, run, and answered as `{ result }` or `{ error: { code, message } }`
 * (never a thrown error, which would lose its code on the way through the context bridge).
 */
export async function dispatchDesktopCall(handlers: DesktopHandlers, method: string, args: readonly unknown[]): Promise<Outcome<unknown>> {
  try {
    if (!(DESKTOP_METHODS as readonly string[]).includes(method)) throw new DesktopError('FORBIDDEN', `unknown desktop action ${JSON.stringify(method)}`);
    const m = method as DesktopMethod;
    if (!ARG_CHECKS[m](args)) throw new DesktopError('FORBIDDEN', `${m}: wrong arguments`);
    const handler = handlers[m] as (...a: readonly unknown[]) => Promise<unknown>;
    return { result: await handler(...args) };
  } catch (err) {
    return { error: describeError(err) };
  }
}

/** Only our UI, served by the running core's controller, may call desktop actions. */
export function isTrustedSender(frameUrl: string | undefined, controllerUrl: string | undefined): boolean {
  if (!frameUrl || !controllerUrl || !URL.canParse(frameUrl)) return false;
  const frame = new URL(frameUrl);
  return frame.origin === new URL(controllerUrl).origin && frame.pathname.startsWith('/ui/');
}
