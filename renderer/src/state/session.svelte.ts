/**
 * Who the page talks to and with which secret. The token arrives once in the URL fragment
 * (`/ui/#/?token=...`, as `switchyard run` prints it), moves to sessionStorage, and is taken out of the
 * address bar at once so it does not end up in history, bookmarks or screenshots.
 */
const TOKEN_KEY = 'switchyard.token';
const API_KEY = 'switchyard.api';

export const session = $state({
  token: '',
  /** '' = the page's own origin (the controller serves the UI at /ui). */
  apiBase: '',
  /** Set by a 401: the page asks for the secret again. */
  unauthorized: false,
});

/** Reads `token` and `api` from the fragment's query, remembers them, and rewrites the fragment without them. */
export function initSession(loc: Location = window.location, storage: Storage = window.sessionStorage): void {
  const hash = loc.hash.replace(/^#/, '');
  const q = hash.indexOf('?');
  const params = new URLSearchParams(q >= 0 ? hash.slice(q + 1) : '');
  const token = params.get('token');
  const api = params.get('api');
  if (token) storage.setItem(TOKEN_KEY, token);
  if (api) storage.setItem(API_KEY, api.replace(/\/+$/, ''));
  if (token !== null || api !== null) {
    params.delete('token');
    params.delete('api');
    const rest = params.toString();
    const path = (q >= 0 ? hash.slice(0, q) : hash) || '/';
    history.replaceState(history.state, '', `${loc.pathname}${loc.search}#${path}${rest ? `?${rest}` : ''}`);
  }
  session.token = storage.getItem(TOKEN_KEY) ?? '';
  session.apiBase = storage.getItem(API_KEY) ?? '';
}

/** The secret typed into the sign-in form. */
export function setToken(token: string, storage: Storage = window.sessionStorage): void {
  storage.setItem(TOKEN_KEY, token);
  session.token = token;
  session.unauthorized = false;
}

export function signOut(storage: Storage = window.sessionStorage): void {
  storage.removeItem(TOKEN_KEY);
  session.token = '';
}

/** `ws://host/path?token=...` for a stream; the token must ride in the query (browsers cannot set headers). */
export function streamUrl(path: string, query: Record<string, string> = {}): string {
  const base = session.apiBase || window.location.origin;
  const url = new URL(path, base.replace(/^http/, 'ws'));
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  url.searchParams.set('token', session.token);
  return url.toString();
}
