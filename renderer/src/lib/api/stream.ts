import { session, streamUrl } from '../../state/session.svelte.js';

export interface StreamStatus {
  connected: boolean;
  /** Why the stream is not running, in the controller's words when it gave any; '' while fine. */
  error: string;
}

export interface StreamHandle {
  close(): void;
}

const MAX_BACKOFF_MS = 10_000;

/**
 * A controller WebSocket stream (`/traffic`, `/connections`, `/switchyard/stats`, `/logs`) that comes back
 * by itself after the core restarts, waiting longer after each failure. A browser does not reveal why an
 * upgrade was refused, so after a failure the same path is asked over plain HTTP once to read the
 * controller's message (401, 503 "not running"...).
 */
export function openStream<T>(path: string, query: Record<string, string>, onFrame: (frame: T) => void, onStatus: (status: StreamStatus) => void): StreamHandle {
  let ws: WebSocket | undefined;
  let closed = false;
  let failures = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const connect = () => {
    if (closed) return;
    let opened = false;
    ws = new WebSocket(streamUrl(path, query));
    ws.onopen = () => {
      opened = true;
      failures = 0;
      onStatus({ connected: true, error: '' });
    };
    ws.onmessage = (e) => {
      try {
        onFrame(JSON.parse(String(e.data)) as T);
      } catch (err) {
        onStatus({ connected: true, error: `${path}: a frame was not JSON (${(err as Error).message})` });
      }
    };
    ws.onclose = () => {
      if (closed) return;
      failures++;
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(failures, 5));
      retry = setTimeout(connect, delay);
      if (opened) onStatus({ connected: false, error: `${path}: connection to the controller lost; reconnecting` });
      else void explainRefusal(path, query).then((why) => !closed && onStatus({ connected: false, error: why }));
    };
  };
  connect();
  return {
    close() {
      closed = true;
      clearTimeout(retry);
      ws?.close();
    },
  };
}

/** Reads the status and message a plain GET of the stream gets, then drops the connection. */
async function explainRefusal(path: string, query: Record<string, string>): Promise<string> {
  const abort = new AbortController();
  const url = new URL(path, session.apiBase || window.location.origin);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${session.token}` }, signal: abort.signal });
    if (res.ok) return `${path}: the stream could not be opened; retrying`;
    const text = await res.text();
    if (res.status === 401) session.unauthorized = true;
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      /* not JSON: the text as it came */
    }
    return `${path}: ${res.status}: ${message}`;
  } catch (err) {
    return `${path}: the controller did not answer (${(err as Error).message}); retrying`;
  } finally {
    abort.abort();
  }
}
