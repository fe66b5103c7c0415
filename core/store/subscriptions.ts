import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { SubscriptionInfo } from '../subscription/fetch-headers.js';

/** A stored subscription: what the user set, what its server last said, and how the last fetch went. */
export interface SubscriptionRecord {
  id: string;
  name: string;
  url: string;
  /** null: the default User-Agent. */
  userAgent: string | null;
  /** Seconds between automatic refreshes chosen by the user; null: the header's or the default; 0: never. */
  intervalS: number | null;
  /** Fetch through the core's own mixed port instead of directly. */
  viaProxy: boolean;
  enabled: boolean;
  /** Profile-Title or the Content-Disposition file name. */
  title: string | null;
  /** Subscription-Userinfo: bytes, and the expiry in epoch seconds. */
  upload: number | null;
  download: number | null;
  total: number | null;
  expire: number | null;
  /** profile-update-interval, hours. */
  updateIntervalH: number | null;
  /** Epoch ms of the last attempt, successful or not. */
  lastFetchAt: number | null;
  lastSuccessAt: number | null;
  /** Why the last attempt failed; null after a success. */
  lastError: string | null;
  createdAt: number;
}

/** What the user chooses when adding a subscription. */
export interface SubscriptionInput {
  name: string;
  url: string;
  userAgent?: string | null;
  intervalS?: number | null;
  viaProxy?: boolean;
  enabled?: boolean;
}

export type SubscriptionPatch = Partial<SubscriptionInput>;

/** What a successful fetch learnt from the response headers (read by core/subscription/fetch-headers.ts). */
export type SubscriptionHeaderInfo = SubscriptionInfo;

interface Row {
  id: string;
  name: string;
  url: string;
  user_agent: string | null;
  interval_s: number | null;
  via_proxy: number;
  enabled: number;
  title: string | null;
  upload: number | null;
  download: number | null;
  total: number | null;
  expire: number | null;
  update_interval_h: number | null;
  last_fetch_at: number | null;
  last_success_at: number | null;
  last_error: string | null;
  created_at: number;
}

const fromRow = (r: Row): SubscriptionRecord => ({
  id: r.id,
  name: r.name,
  url: r.url,
  userAgent: r.user_agent,
  intervalS: r.interval_s,
  viaProxy: r.via_proxy === 1,
  enabled: r.enabled === 1,
  title: r.title,
  upload: r.upload,
  download: r.download,
  total: r.total,
  expire: r.expire,
  updateIntervalH: r.update_interval_h,
  lastFetchAt: r.last_fetch_at,
  lastSuccessAt: r.last_success_at,
  lastError: r.last_error,
  createdAt: r.created_at,
});

/** The `subscriptions` table (migration v1). Deleting a subscription deletes its servers (ON DELETE CASCADE). */
export class SubscriptionRepository {
  constructor(
    private readonly db: Database.Database,
    private readonly changed: () => void = () => {},
  ) {}

  list(): SubscriptionRecord[] {
    return (this.db.prepare('SELECT * FROM subscriptions ORDER BY created_at, rowid').all() as Row[]).map(fromRow);
  }

  get(id: string): SubscriptionRecord | undefined {
    const row = this.db.prepare('SELECT * FROM subscriptions WHERE id = ?').get(id) as Row | undefined;
    return row && fromRow(row);
  }

  findByUrl(url: string): SubscriptionRecord | undefined {
    const row = this.db.prepare('SELECT * FROM subscriptions WHERE url = ? ORDER BY created_at LIMIT 1').get(url) as Row | undefined;
    return row && fromRow(row);
  }

  add(input: SubscriptionInput, now = Date.now()): SubscriptionRecord {
    const id = randomUUID();
    this.db
      .prepare(
        `INSERT INTO subscriptions (id, name, url, user_agent, interval_s, via_proxy, enabled, created_at)
         VALUES (@id, @name, @url, @userAgent, @intervalS, @viaProxy, @enabled, @now)`,
      )
      .run({
        id,
        name: input.name,
        url: input.url,
        userAgent: input.userAgent ?? null,
        intervalS: input.intervalS ?? null,
        viaProxy: input.viaProxy ? 1 : 0,
        enabled: input.enabled === false ? 0 : 1,
        now,
      });
    this.changed();
    return this.get(id)!;
  }

  /** Changes what the user set; fields left out keep their value. Undefined when there is no such subscription. */
  update(id: string, patch: SubscriptionPatch): SubscriptionRecord | undefined {
    const columns: Record<keyof SubscriptionInput, string> = {
      name: 'name',
      url: 'url',
      userAgent: 'user_agent',
      intervalS: 'interval_s',
      viaProxy: 'via_proxy',
      enabled: 'enabled',
    };
    const sets: string[] = [];
    const values: Record<string, unknown> = { id };
    for (const [key, column] of Object.entries(columns) as [keyof SubscriptionInput, string][]) {
      const value = patch[key];
      if (value === undefined) continue;
      sets.push(`${column} = @${key}`);
      values[key] = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    }
    if (sets.length && this.db.prepare(`UPDATE subscriptions SET ${sets.join(', ')} WHERE id = @id`).run(values).changes) this.changed();
    return this.get(id);
  }

  /** Servers per subscription, and how many of them are unsupported, without reading their configs. */
  serverCounts(): Map<string, { servers: number; unsupported: number }> {
    const rows = this.db
      .prepare(
        `SELECT subscription_id AS id, COUNT(*) AS servers, COUNT(unsupported_reason) AS unsupported
         FROM servers WHERE subscription_id IS NOT NULL GROUP BY subscription_id`,
      )
      .all() as { id: string; servers: number; unsupported: number }[];
    return new Map(rows.map((r) => [r.id, { servers: r.servers, unsupported: r.unsupported }]));
  }

  delete(id: string): boolean {
    const deleted = this.db.prepare('DELETE FROM subscriptions WHERE id = ?').run(id).changes === 1;
    if (deleted) this.changed();
    return deleted;
  }

  /**
   * A fetch that gave servers: the header values replace the old ones (a title the server stopped
   * sending is kept), the error is cleared.
   */
  recordSuccess(id: string, info: SubscriptionHeaderInfo, at = Date.now()): void {
    this.db
      .prepare(
        `UPDATE subscriptions SET title = COALESCE(@title, title), upload = @upload, download = @download, total = @total,
           expire = @expire, update_interval_h = @updateIntervalH, last_fetch_at = @at, last_success_at = @at, last_error = NULL
         WHERE id = @id`,
      )
      .run({
        id,
        at,
        title: info.title ?? null,
        upload: info.upload ?? null,
        download: info.download ?? null,
        total: info.total ?? null,
        expire: info.expire ?? null,
        // INTEGER column: a fractional header (0.5 h) is kept as whole hours, at least 1.
        updateIntervalH: info.updateIntervalH === undefined ? null : Math.max(1, Math.round(info.updateIntervalH)),
      });
    this.changed();
  }

  /** A fetch that failed or gave nothing usable: last_success_at and the header values stay as they were. */
  recordFailure(id: string, error: string, at = Date.now()): void {
    this.db.prepare('UPDATE subscriptions SET last_fetch_at = ?, last_error = ? WHERE id = ?').run(at, error, id);
    this.changed();
  }
}
