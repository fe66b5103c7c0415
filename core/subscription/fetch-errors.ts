/**
 * Why a subscription download failed. Callers match on `code`; the text names the server by its origin
 * only (`https://sub.example.com`), never the path or query, which carry the user's token.
 */
export type FetchErrorCode =
  | 'FETCH_BAD_URL' // not an http(s) URL
  | 'FETCH_HTTP_STATUS' // an answer other than 2xx (after redirects)
  | 'FETCH_TIMEOUT' // the whole download, redirects included, took longer than allowed
  | 'FETCH_TOO_LARGE' // the body is over the size cap
  | 'FETCH_TOO_MANY_REDIRECTS'
  | 'FETCH_NETWORK' // DNS, refused, reset, TLS, a body cut off by the server
  | 'FETCH_ABORTED'; // the caller gave up (the service is stopping)

export class FetchError extends Error {
  override readonly name = 'FetchError';
  constructor(
    readonly code: FetchErrorCode,
    message: string,
    /** The HTTP status, for FETCH_HTTP_STATUS. */
    readonly status?: number,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/** `https://sub.example.com:8443`: enough to say which server, nothing of the token. */
export function redactUrl(url: string | URL): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an invalid URL';
  }
}
