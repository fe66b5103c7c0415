/**
 * Errors of the desktop shell. They never reach a proxy client, so they are not ProxyErrors (whose codes
 * each map to a SOCKS reply and an HTTP status); like them they carry a stable `code` to match on.
 */
export type DesktopErrorCode =
  | 'SYSTEM_PROXY_UNSUPPORTED' // no known way to set the system proxy on this desktop
  | 'SYSTEM_PROXY_COMMAND' // gsettings / kwriteconfig / networksetup / reg failed
  | 'SYSTEM_PROXY_STATE' // the saved previous settings could not be read or written
  | 'DEEP_LINK_INVALID' // not a switchyard:// or clash:// install-config link with an http(s) url
  | 'CLIPBOARD_EMPTY' // nothing importable on the clipboard
  | 'CORE_UNAVAILABLE' // the core is not running (starting, restarting or given up)
  | 'CORE_API' // the controller answered with an error
  | 'FORBIDDEN'; // a desktop action asked for by a page that is not our UI

export class DesktopError extends Error {
  override readonly name = 'DesktopError';

  constructor(
    readonly code: DesktopErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
  }
}

/** `{ code, message }` for any thrown value, for the bridge and for notifications. */
export function describeError(err: unknown): { code: string; message: string } {
  if (err instanceof DesktopError) return { code: err.code, message: err.message };
  const e = err as { code?: unknown; message?: unknown } | undefined;
  return { code: typeof e?.code === 'string' ? e.code : 'INTERNAL', message: typeof e?.message === 'string' ? e.message : String(err) };
}
