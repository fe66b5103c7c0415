import WebSocket from 'ws';
import type { LiveStatsFrame } from '../core/api/live-stats.js';
import type { PoolSnapshot } from '../core/balance/pool.js';
import type { Mode } from '../core/config/types.js';
import type { RefreshResult, SubscriptionView } from '../core/subscription/refresh.js';
import { DesktopError } from './errors.js';

export interface ControllerAccess {
  /** `http://127.0.0.1:<port>` */
  url: string;
  secret: string;
}

export interface SubscriptionRequest {
  url: string;
  name?: string;
}

/** POST /switchyard/subscriptions answers 201 with the stored subscription and its first fetch. */
export interface SubscriptionAdded {
  subscription: Pick<SubscriptionView, 'id' | 'name'>;
  /** Absent when the core did not fetch it yet; `ok: false` when that first fetch failed (it stays stored). */
  result?: RefreshResult;
}

/** A controller error with its HTTP status, for callers that treat 404 (an older core) apart. */
export class ControllerApiError extends DesktopError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super('CORE_API', message);
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * The few controller calls the tray and main make, with the Bearer secret in a header (never in a URL:
 * the WebSocket stream sends the header too). Paths are the controller's (core/api/routes).
 */
export class ControllerClient {
  constructor(
    private readonly access: ControllerAccess,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {}

  async pools(): Promise<PoolSnapshot[]> {
    const body = await this.request<{ pools: PoolSnapshot[] }>('GET', '/switchyard/pools');
    return body.pools;
  }

  /** The mode and mixed port from GET /configs. */
  async configs(): Promise<{ mode: Mode; mixedPort: number }> {
    const body = await this.request<{ mode: Mode; 'mixed-port': number }>('GET', '/configs');
    return { mode: body.mode, mixedPort: body['mixed-port'] };
  }

  async setMode(mode: Mode): Promise<void> {
    await this.request('PATCH', '/configs', { mode });
  }

  /** The member a select pool uses (PUT /proxies/{pool}). */
  async selectMember(pool: string, member: string): Promise<void> {
    await this.request('PUT', `/proxies/${encodeURIComponent(pool)}`, { name: member });
  }

  /** A load-balance pool's strategy (PUT /switchyard/pools/{pool}/strategy); kept until the core restarts. */
  async setStrategy(pool: string, strategy: string): Promise<void> {
    await this.request('PUT', `/switchyard/pools/${encodeURIComponent(pool)}/strategy`, { strategy });
  }

  /**
   * A latency round over a pool's members (GET /group/{pool}/delay): member → ms for those that answered.
   * The controller answers 504 when every member failed; that is a result here, an empty one.
   */
  async testPool(pool: string): Promise<Record<string, number>> {
    try {
      return await this.request<Record<string, number>>('GET', `/group/${encodeURIComponent(pool)}/delay`, undefined, 60_000);
    } catch (err) {
      if (err instanceof ControllerApiError && err.status === 504) return {};
      throw err;
    }
  }

  /** Stores the subscription in the core, which fetches it once before answering. */
  async addSubscription(subscription: SubscriptionRequest): Promise<SubscriptionAdded> {
    return this.request<SubscriptionAdded>('POST', '/switchyard/subscriptions', subscription, 60_000);
  }

  /**
   * The 1 Hz `/switchyard/stats` stream. `onClose` runs once when it ends for any reason but `stop()`,
   * so the caller can reconnect.
   */
  streamStats(onFrame: (frame: LiveStatsFrame) => void, onClose: (why: string) => void): () => void {
    const ws = new WebSocket(`${this.access.url.replace(/^http/, 'ws')}/switchyard/stats`, {
      headers: { authorization: `Bearer ${this.access.secret}` },
      handshakeTimeout: this.timeoutMs,
    });
    let stopped = false;
    let closed = false;
    const close = (why: string) => {
      if (closed) return;
      closed = true;
      if (!stopped) onClose(why);
    };
    ws.on('message', (data) => {
      try {
        const frame = JSON.parse(data.toString()) as LiveStatsFrame;
        if (frame && typeof frame === 'object' && 'total' in frame) onFrame(frame);
      } catch {
        // A frame that is no JSON is skipped; the next one comes within a second.
      }
    });
    ws.on('error', (err) => close(err.message));
    ws.on('close', (code) => close(`closed (${code})`));
    return () => {
      stopped = true;
      ws.terminate();
    };
  }

  private async request<T = unknown>(method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.access.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.access.secret}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      const why = (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause?.code ?? (err as Error).message);
      throw new DesktopError('CORE_UNAVAILABLE', `the core did not answer ${method} ${path}: ${why}`, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) {
      let message = text.trim();
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // not JSON: the text itself
      }
      throw new ControllerApiError(res.status, `${method} ${path}: ${res.status} ${message.slice(0, 300)}`);
    }
    return (text ? JSON.parse(text) : null) as T;
  }
}
