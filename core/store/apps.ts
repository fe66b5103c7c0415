import type Database from 'better-sqlite3';
import type { AppPolicyKind, AppRecord, AppStore, AppUsage } from '../route/apps.js';

interface Row {
  key: string;
  name: string;
  path: string | null;
  first_seen: number;
  last_seen: number;
  up: number;
  down: number;
  connections: number;
  policy: AppPolicyKind;
  target: string | null;
}

const fromRow = (r: Row): AppRecord => ({
  key: r.key,
  name: r.name,
  path: r.path,
  firstSeen: r.first_seen,
  lastSeen: r.last_seen,
  up: r.up,
  down: r.down,
  connections: r.connections,
  policy: r.policy,
  target: r.target,
});

/**
 * Applications and their per-app policy (table `apps`, migration v1). Usage arrives in batches from the
 * AppCatalog, one transaction per batch; the policy survives pruning.
 */
export class AppRepository implements AppStore {
  private readonly selectSince;
  private readonly upsertUsage;
  private readonly upsertPolicy;
  private readonly deleteOld;

  constructor(private readonly db: Database.Database) {
    this.selectSince = db.prepare("SELECT * FROM apps WHERE last_seen >= ? OR policy != 'default' ORDER BY last_seen DESC, key");
    this.upsertUsage = db.prepare(`
      INSERT INTO apps (key, name, path, first_seen, last_seen, up, down, connections)
      VALUES (@key, @name, @path, @at, @at, @up, @down, @connections)
      ON CONFLICT(key) DO UPDATE SET name = excluded.name, path = COALESCE(excluded.path, path),
        last_seen = MAX(last_seen, excluded.last_seen), up = up + excluded.up, down = down + excluded.down,
        connections = connections + excluded.connections`);
    this.upsertPolicy = db.prepare(`
      INSERT INTO apps (key, name, path, first_seen, last_seen, policy, target)
      VALUES (@key, @name, @path, @at, @at, @policy, @target)
      ON CONFLICT(key) DO UPDATE SET policy = excluded.policy, target = excluded.target`);
    this.deleteOld = db.prepare("DELETE FROM apps WHERE last_seen < ? AND policy = 'default'");
  }

  list(since: number): AppRecord[] {
    return (this.selectSince.all(since) as Row[]).map(fromRow);
  }

  addUsage(usage: readonly AppUsage[]): void {
    this.db.transaction(() => {
      for (const u of usage) this.upsertUsage.run(u);
    }).immediate();
  }

  setPolicy(app: { key: string; name: string; path: string | null }, policy: AppPolicyKind, target: string | null, at: number): void {
    this.upsertPolicy.run({ key: app.key, name: app.name, path: app.path, at, policy, target });
  }

  prune(before: number): number {
    return this.deleteOld.run(before).changes;
  }
}
