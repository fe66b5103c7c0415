import { DesktopError } from './errors.js';

/** Schemes the app registers: its own, and Clash's so "Import to Clash" buttons on provider sites work. */
export const DEEP_LINK_SCHEMES = ['switchyard', 'clash'] as const;
export type DeepLinkScheme = (typeof DEEP_LINK_SCHEMES)[number];

/** `switchyard://install-config?url=<subscription>&name=<label>` (and the same with clash://). */
export interface InstallConfigLink {
  scheme: DeepLinkScheme;
  /** The subscription URL, http or https. */
  url: string;
  /** The provider's label for it, when the link has one. */
  name?: string;
}

const invalid = (why: string) => new DesktopError('DEEP_LINK_INVALID', `deep link: ${why}`);

/**
 * Reads an install-config link. Subscription URLs carry account tokens, so no message here repeats one:
 * the errors name what is wrong, never the URL.
 */
export function parseDeepLink(link: string): InstallConfigLink {
  let parsed: URL;
  try {
    parsed = new URL(link.trim());
  } catch {
    throw invalid('not a URL');
  }
  const scheme = parsed.protocol.replace(/:$/, '').toLowerCase();
  if (!(DEEP_LINK_SCHEMES as readonly string[]).includes(scheme)) {
    throw invalid(`expected a ${DEEP_LINK_SCHEMES.map((s) => `${s}://`).join(' or ')} link, got ${scheme}://`);
  }
  // Custom schemes parse as host + path: `clash://install-config?…` and `clash://install-config/?…` alike.
  const action = (parsed.host + parsed.pathname).replace(/\/+$/, '').toLowerCase();
  if (action !== 'install-config') throw invalid(`unknown action ${JSON.stringify(action.slice(0, 40))} (expected install-config)`);
  const url = parsed.searchParams.get('url');
  if (!url) throw invalid('install-config has no url parameter');
  if (!isHttpUrl(url)) throw invalid('the url parameter is not an http(s) URL');
  const name = parsed.searchParams.get('name')?.trim();
  return { scheme: scheme as DeepLinkScheme, url, ...(name ? { name } : {}) };
}

/** The deep link among a second instance's (Windows, Linux) or the first launch's command-line arguments. */
export function findDeepLink(argv: readonly string[]): string | undefined {
  return argv.find((arg) => DEEP_LINK_SCHEMES.some((s) => arg.toLowerCase().startsWith(`${s}://`)));
}

/**
 * What "import from clipboard" imports: a subscription URL as is, or the URL inside an install-config
 * link. Share links (ss://, vmess://…) are servers, not subscriptions; they are refused by name.
 */
export function importTargetFromText(text: string): InstallConfigLink {
  const trimmed = text.trim();
  if (!trimmed) throw new DesktopError('CLIPBOARD_EMPTY', 'the clipboard is empty');
  if (findDeepLink([trimmed])) return parseDeepLink(trimmed);
  if (isHttpUrl(trimmed) && !/\s/.test(trimmed)) return { scheme: 'switchyard', url: trimmed };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1];
  const what = scheme ? `a ${scheme}:// link` : 'text';
  throw new DesktopError('CLIPBOARD_EMPTY', `the clipboard holds ${what}, not a subscription URL or install-config link`);
}

export function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const { protocol, host } = new URL(value);
  return (protocol === 'http:' || protocol === 'https:') && host !== '';
}

/** A subscription URL as it may be shown: scheme and host only, since path and query hold tokens. */
export function describeUrl(value: string): string {
  if (!URL.canParse(value)) return 'an invalid URL';
  const { protocol, host } = new URL(value);
  return `${protocol}//${host}/…`;
}
