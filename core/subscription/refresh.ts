import type { ProtocolRegistry } from '../protocol/registry.js';
import type { Store } from '../store/index.js';
import type { SubscriptionInput, SubscriptionPatch, SubscriptionRecord } from '../store/subscriptions.js';
import { silentLogger, type Logger } from '../logger.js';
import type { SubscriptionIssue } from './errors.js';
import { fetchSubscription, DEFAULT_USER_AGENT, type FetchOptions } from './fetch.js';
import { FetchError } from './fetch-errors.js';
import { parseSubscription } from './formats/parse-subscription.js';
import { cutOffReason, serverInputs } from './refresh-servers.js';
import { listServers, type ServerListing } from './server-listing.js';

/** Refresh interval when neither the user nor the server's profile-update-interval says one. */
export const DEFAULT_REFRESH_INTERVAL_MS = 24 * 60 * 60 * 1000;
/** setTimeout's limit; a longer wait is taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface RefreshSummary {
  ok: true;
  subscriptionId: string;
  format: string;
  /** Servers stored now, unsupported included. */
  servers: number;
  added: number;
  removed: number;
  kept: number;
  unsupported: { name: string; type: string; reason: string }[];
  /** Lines or entries of the body that could not be read and were skipped. */
  issues: SubscriptionIssue[];
}

export interface RefreshFailure {
  ok: false;
  subscriptionId: string;
  /** A FetchErrorCode, a SubscriptionErrorCode, SUBSCRIPTION_CUT_OFF, SUBSCRIPTION_DELETED or INTERNAL. */
  code: string;
  error: string;
}

export type RefreshResult = RefreshSummary | RefreshFailure;

/** A subscription as the API and the UI show it. */
export interface SubscriptionView extends SubscriptionRecord {
  servers: number;
  unsupported: number;
  /** The interval in use, seconds: the user's, else the header's, else 24 h; 0 when refreshed by hand only. */
  effectiveIntervalS: number;
  /** Epoch ms of the next automatic refresh while the service runs; null when none is planned. */
  nextRefreshAt: number | null;
}

export interface SubscriptionServiceOptions {
  store: Store;
  /** Checks stored proxies against their protocol's schema; without it they are stored as parsed. */
  registry?: ProtocolRegistry;
  logger?: Logger;
  /** Timeout, size cap, redirects (fetch.ts defaults otherwise). */
  fetch?: Pick<FetchOptions, 'timeoutMs' | 'maxBytes' | 'maxRedirects'>;
  defaultUserAgent?: string;
  defaultIntervalMs?: number;
  /** The core's mixed port, for subscriptions fetched through the proxy; undefined while none runs. */
  localProxy?: () => FetchOptions['socksProxy'];
}

/**
 * Stored subscriptions: add, change, delete, refresh now, and refresh on their interval (the user's,
 * else the server's profile-update-interval, else 24 h), timers unref'd so they never hold the process.
 *
 *   timer / API → fetch (direct, or through the mixed port) → parse → identities → servers table
 *
 * A failed fetch, or a body that is empty, unreadable or cut off, keeps the servers already stored and
 * records the error and the time of the attempt; last_success_at only moves on success.
 */
export class SubscriptionService {
  /** The database behind it; the server routes use it too. */
  readonly store: Store;
  private readonly logger: Logger;
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; dueAt: number }>();
  private readonly inflight = new Map<string, Promise<RefreshResult>>();
  private readonly listeners = new Set<(result: RefreshResult) => void>();
  private abort = new AbortController();
  private running = false;

  constructor(private readonly options: SubscriptionServiceOptions) {
    this.store = options.store;
    this.logger = options.logger ?? silentLogger;
  }

  list(): SubscriptionView[] {
    const counts = this.store.subscriptions.serverCounts();
    return this.store.subscriptions.list().map((s) => this.view(s, counts.get(s.id)));
  }

  get(id: string): SubscriptionView | undefined {
    const record = this.store.subscriptions.get(id);
    return record && this.view(record, this.store.subscriptions.serverCounts().get(id));
  }

  /** The subscription's stored servers as the UI lists them: no passwords or uuids. */
  servers(id: string): ServerListing[] {
    return listServers(this.store, id);
  }

  /** Stores the subscription and, unless told not to, fetches it once before returning. */
  async add(input: SubscriptionInput, options: { refresh?: boolean } = {}): Promise<{ subscription: SubscriptionView; result?: RefreshResult }> {
    const record = this.store.subscriptions.add(input);
    let result: RefreshResult | undefined;
    if (options.refresh !== false) result = await this.refresh(record.id);
    else this.schedule(record);
    return { subscription: this.get(record.id)!, result };
  }

  update(id: string, patch: SubscriptionPatch): SubscriptionView | undefined {
    const record = this.store.subscriptions.update(id, patch);
    if (!record) return undefined;
    this.schedule(record);
    return this.get(id);
  }

  /** Deletes the subscription and its servers. */
  remove(id: string): boolean {
    this.unschedule(id);
    return this.store.subscriptions.delete(id);
  }

  /** Fetches now; a refresh already running for it is joined, not repeated. Undefined for an unknown id. */
  refresh(id: string): Promise<RefreshResult> | undefined {
    const running = this.inflight.get(id);
    if (running) return running;
    const record = this.store.subscriptions.get(id);
    if (!record) return undefined;
    const job = this.fetchAndStore(record).finally(() => {
      this.inflight.delete(id);
      if (!this.running) return; // stopped: the store may be closing
      const after = this.store.subscriptions.get(id);
      if (after) this.schedule(after);
    });
    this.inflight.set(id, job);
    return job;
  }

  /** Called after every refresh, successful or not (the app rebuilds pools from it). Returns the unsubscribe. */
  onRefreshed(listener: (result: RefreshResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Plans every enabled subscription's next refresh; those overdue (or never fetched) run at once. */
  start(): void {
    this.running = true;
    if (this.abort.signal.aborted) this.abort = new AbortController();
    for (const record of this.store.subscriptions.list()) this.schedule(record);
  }

  /** Clears every timer and cancels downloads under way, which then record nothing (the store may close next). */
  stop(): void {
    this.running = false;
    for (const id of [...this.timers.keys()]) this.unschedule(id);
    this.abort.abort();
  }

  /** What the running service would wait between two refreshes of this subscription; 0: never. */
  intervalMs(record: SubscriptionRecord): number {
    if (record.intervalS !== null) return record.intervalS * 1000;
    if (record.updateIntervalH !== null) return record.updateIntervalH * 60 * 60 * 1000;
    return this.options.defaultIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS;
  }

  private async fetchAndStore(record: SubscriptionRecord): Promise<RefreshResult> {
    const at = Date.now();
    let result: RefreshResult;
    try {
      result = await this.download(record, at);
    } catch (err) {
      const e = err as { code?: unknown; message?: unknown };
      const code = typeof e?.code === 'string' ? e.code : 'INTERNAL';
      const error = typeof e?.message === 'string' ? e.message : String(err);
      const cancelledByStop = code === 'FETCH_ABORTED' && this.abort.signal.aborted;
      if (!cancelledByStop && this.store.subscriptions.get(record.id)) this.store.subscriptions.recordFailure(record.id, error, at);
      this.logger.warn({ subscription: record.name, code, error }, 'subscription refresh failed; its servers were kept');
      result = { ok: false, subscriptionId: record.id, code, error };
    }
    for (const listener of this.listeners) {
      try {
        listener(result);
      } catch (err) {
        this.logger.error({ err: (err as Error).message }, 'onRefreshed listener threw');
      }
    }
    return result;
  }

  private async download(record: SubscriptionRecord, at: number): Promise<RefreshSummary> {
    const socksProxy = record.viaProxy ? this.options.localProxy?.() : undefined;
    if (record.viaProxy && !socksProxy) throw new FetchError('FETCH_NETWORK', 'viaProxy is set but no mixed port is running to fetch through');
    const fetched = await fetchSubscription(record.url, {
      ...this.options.fetch,
      userAgent: record.userAgent ?? this.options.defaultUserAgent ?? DEFAULT_USER_AGENT,
      socksProxy,
      signal: this.abort.signal,
    });
    const parsed = parseSubscription(fetched.body);
    const cut = cutOffReason(fetched.body, parsed);
    if (cut) throw Object.assign(new Error(cut), { code: 'SUBSCRIPTION_CUT_OFF' });
    const inputs = serverInputs(record.id, parsed, this.options.registry);
    // Deleted while it downloaded: nothing to store into.
    if (!this.store.subscriptions.get(record.id)) throw Object.assign(new Error('the subscription was deleted during the refresh'), { code: 'SUBSCRIPTION_DELETED' });
    const before = new Set(this.store.servers.listForSubscription(record.id).map((s) => s.id));
    this.store.db.transaction(() => {
      this.store.servers.replaceForSubscription(record.id, inputs, at);
      this.store.subscriptions.recordSuccess(record.id, fetched.info, at);
    }).immediate();
    const kept = inputs.filter((s) => before.has(s.id)).length;
    const summary: RefreshSummary = {
      ok: true,
      subscriptionId: record.id,
      format: parsed.format,
      servers: inputs.length,
      added: inputs.length - kept,
      removed: before.size - kept,
      kept,
      unsupported: inputs.filter((s) => s.unsupportedReason).map((s) => ({ name: s.name, type: s.type, reason: s.unsupportedReason! })),
      issues: parsed.errors,
    };
    this.logger.info({ subscription: record.name, servers: summary.servers, added: summary.added, removed: summary.removed }, 'subscription refreshed');
    return summary;
  }

  private schedule(record: SubscriptionRecord): void {
    this.unschedule(record.id);
    if (!this.running || !record.enabled || this.inflight.has(record.id)) return;
    const interval = this.intervalMs(record);
    if (!(interval > 0)) return;
    const dueAt = record.lastFetchAt === null ? Date.now() : record.lastFetchAt + interval;
    this.arm(record.id, dueAt);
  }

  private arm(id: string, dueAt: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(id);
      if (Date.now() < dueAt) return this.arm(id, dueAt); // a wait longer than setTimeout allows
      void this.refresh(id);
    }, Math.min(Math.max(0, dueAt - Date.now()), MAX_TIMER_MS));
    timer.unref();
    this.timers.set(id, { timer, dueAt });
  }

  private unschedule(id: string): void {
    const entry = this.timers.get(id);
    if (entry) clearTimeout(entry.timer);
    this.timers.delete(id);
  }

  private view(record: SubscriptionRecord, counts: { servers: number; unsupported: number } | undefined): SubscriptionView {
    return {
      ...record,
      servers: counts?.servers ?? 0,
      unsupported: counts?.unsupported ?? 0,
      effectiveIntervalS: Math.round(this.intervalMs(record) / 1000),
      nextRefreshAt: this.timers.get(record.id)?.dueAt ?? null,
    };
  }
}
