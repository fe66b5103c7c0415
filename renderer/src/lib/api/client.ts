import { session } from '../../state/session.svelte.js';

/**
 * An answer other than 2xx from the controller (its `{ message }`), or no answer at all (status 0).
 * `missingRoute` marks a 404 for the path itself: this core does not have the feature.
 */
export class ApiRequestError extends Error {
  override readonly name = 'ApiRequestError';
  constructor(
    readonly status: number,
    /** The controller's own words, without the status. */
    readonly reason: string,
    readonly path: string,
  ) {
    super(status ? `${status}: ${reason}` : reason);
  }

  get missingRoute(): boolean {
    return this.status === 404 && this.reason.startsWith('no route for');
  }
}

/** `/proxies/trojan 香港/delay` with each name percent-encoded on its own. */
export const pathOf = (...parts: (string | number)[]): string => parts.map((p, i) => (i === 0 ? String(p) : encodeURIComponent(String(p)))).join('/');

/**
 * One REST call with the session's Bearer token. Resolves with the parsed JSON (undefined for 204) and
 * rejects with ApiRequestError carrying the controller's own message, which the page shows where the user
 * acted. A 401 also tells the session, so the page asks for the secret again.
 */
export async function request<T = unknown>(method: string, path: string, body?: unknown, init: { signal?: AbortSignal } = {}): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${session.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(session.apiBase + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: init.signal, cache: 'no-store' });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiRequestError(0, `the controller did not answer (${(err as Error).message})`, path);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const message = typeof (json as { message?: unknown })?.message === 'string' ? (json as { message: string }).message : text || res.statusText;
    if (res.status === 401) session.unauthorized = true;
    throw new ApiRequestError(res.status, message, path);
  }
  return json as T;
}

export const get = <T>(path: string) => request<T>('GET', path);
