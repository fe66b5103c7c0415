import type Database from 'better-sqlite3';

/** A stored server: the Clash proxy entry plus what the user decided about it. */
export interface ServerRecord {
  id: string;
  subscriptionId: string | null;
  name: string;
  type: string;
  config: Record<string, unknown>;
  link: string | null;
  unsupportedReason: string | null;
  enabled: boolean;
  weight: number;
  position: number;
  createdAt: number;
  updatedAt: number;
}

/** What a refresh or an import knows; the user's choices (enabled, weight) are not part of it. */
export type ServerInput = Pick<ServerRecord, 'id' | 'name' | 'type' | 'config'> & {
  link?: string | null;
  unsupportedReason?: string | null;
};

interface Row {
  id: string;
  subscription_id: string | null;
  name: string;
  type: string;
  config: string;
  link: string | null;
  unsupported_reason: string | null;
  enabled: number;
  weight: number;
  position: number;
  created_at: number;
  updated_at: number;
}

const fromRow = (r: Row): ServerRecord => ({
  id: r.id,
  subscriptionId: r.subscription_id,
  name: r.name,
  type: r.type,
  config: JSON.parse(r.config),
  link: r.link,
  unsupportedReason: r.unsupported_reason,
  enabled: r.enabled === 1,
  weight: r.weight,
  position: r.position,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export class ServerRepository {
  private readonly upsertStmt;
  private readonly listAll;
  private readonly listBySub;
  private readonly listManual;

  constructor(
    private readonly db: Database.Database,
    private readonly changed: () => void = () => {},
  ) {
    // ON CONFLICT keeps enabled, weight and created_at: the user's choices survive a refresh.
    this.upsertStmt = db.prepare(`
      INSERT INTO servers (id, subscription_id, name, type, config, link, unsupported_reason, position, created_at, updated_at)
      VALUES (@id, @subscriptionId, @name, @type, @config, @link, @unsupportedReason, @position, @now, @now)
      ON CONFLICT(id) DO UPDATE SET subscription_id = excluded.subscription_id, name = excluded.name, type = excluded.type,
        config = excluded.config, link = excluded.link, unsupported_reason = excluded.unsupported_reason,
        position = excluded.position, updated_at = excluded.updated_at`);
    this.listAll = db.prepare('SELECT * FROM servers ORDER BY subscription_id IS NOT NULL, subscription_id, position');
    this.listBySub = db.prepare('SELECT * FROM servers WHERE subscription_id = ? ORDER BY position');
    this.listManual = db.prepare('SELECT * FROM servers WHERE subscription_id IS NULL ORDER BY position');
  }

  list(): ServerRecord[] {
    return (this.listAll.all() as Row[]).map(fromRow);
  }

  listForSubscription(subscriptionId: string | null): ServerRecord[] {
    const rows = subscriptionId === null ? this.listManual.all() : this.listBySub.all(subscriptionId);
    return (rows as Row[]).map(fromRow);
  }

  get(id: string): ServerRecord | undefined {
    const row = this.db.prepare('SELECT * FROM servers WHERE id = ?').get(id) as Row | undefined;
    return row && fromRow(row);
  }

  /**
   * Replaces the server list of one subscription (or the manual list for null) in one transaction:
   * servers with a known id are updated in place, new ones inserted, the ones no longer present removed.
   */
  replaceForSubscription(subscriptionId: string | null, servers: readonly ServerInput[], now = Date.now()): void {
    // IMMEDIATE: take the write lock up front (waiting out busy_timeout) rather than upgrading a read
    // transaction, an upgrade SQLite may refuse at once ("database is locked") while another connection reads.
    this.db.transaction(() => {
      const keep = new Set<string>();
      servers.forEach((s, position) => {
        keep.add(s.id);
        this.upsertStmt.run({
          id: s.id,
          subscriptionId,
          name: s.name,
          type: s.type,
          config: JSON.stringify(s.config),
          link: s.link ?? null,
          unsupportedReason: s.unsupportedReason ?? null,
          position,
          now,
        });
      });
      const del = this.db.prepare('DELETE FROM servers WHERE id = ?');
      for (const old of this.listForSubscription(subscriptionId)) if (!keep.has(old.id)) del.run(old.id);
    }).immediate();
    this.changed();
  }

  /** Adds (or updates) servers the user added by hand, after the ones already there. */
  addManual(servers: readonly ServerInput[], now = Date.now()): void {
    this.db.transaction(() => {
      let position = (this.db.prepare('SELECT COALESCE(MAX(position) + 1, 0) AS p FROM servers WHERE subscription_id IS NULL').get() as { p: number }).p;
      for (const s of servers) {
        this.upsertStmt.run({ id: s.id, subscriptionId: null, name: s.name, type: s.type, config: JSON.stringify(s.config), link: s.link ?? null, unsupportedReason: s.unsupportedReason ?? null, position: position++, now });
      }
    }).immediate();
    this.changed();
  }

  setEnabled(id: string, enabled: boolean): boolean {
    return this.report(this.db.prepare('UPDATE servers SET enabled = ? WHERE id = ?').run(enabled ? 1 : 0, id).changes === 1);
  }

  setWeight(id: string, weight: number): boolean {
    return this.report(this.db.prepare('UPDATE servers SET weight = ? WHERE id = ?').run(weight, id).changes === 1);
  }

  delete(id: string): boolean {
    return this.report(this.db.prepare('DELETE FROM servers WHERE id = ?').run(id).changes === 1);
  }

  private report(changed: boolean): boolean {
    if (changed) this.changed();
    return changed;
  }
}
