import type Database from 'better-sqlite3';

/**
 * Schema versions, applied in order inside one transaction each; `PRAGMA user_version` records the
 * last applied. Never edit a released migration: add the next one.
 */
export interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: 'servers, subscriptions, pools, rules, settings, probe history, daily traffic, apps',
    up(db) {
      db.exec(`
        CREATE TABLE subscriptions (
          id TEXT PRIMARY KEY,
          name TEXT NOT NULL,
          url TEXT NOT NULL,
          user_agent TEXT,
          interval_s INTEGER,            -- refresh interval chosen by the user (NULL: use the header or the default)
          via_proxy INTEGER NOT NULL DEFAULT 0,
          enabled INTEGER NOT NULL DEFAULT 1,
          title TEXT,                    -- Profile-Title / Content-Disposition filename
          upload INTEGER, download INTEGER, total INTEGER, expire INTEGER,  -- Subscription-Userinfo
          update_interval_h INTEGER,     -- profile-update-interval header
          last_fetch_at INTEGER,
          last_success_at INTEGER,
          last_error TEXT,
          created_at INTEGER NOT NULL
        );
        CREATE TABLE servers (
          id TEXT PRIMARY KEY,           -- stable across refreshes, so weight/enabled/history survive
          subscription_id TEXT REFERENCES subscriptions(id) ON DELETE CASCADE,
          name TEXT NOT NULL,
          type TEXT NOT NULL,
          config TEXT NOT NULL,          -- the Clash proxy entry as JSON
          link TEXT,                     -- the share link it came from, if any
          unsupported_reason TEXT,       -- kept and shown, never dropped
          enabled INTEGER NOT NULL DEFAULT 1,
          weight INTEGER NOT NULL DEFAULT 1,
          position INTEGER NOT NULL DEFAULT 0,
          created_at INTEGER NOT NULL,
          updated_at INTEGER NOT NULL
        );
        CREATE INDEX servers_by_subscription ON servers(subscription_id, position);
        CREATE TABLE pools (
          name TEXT PRIMARY KEY,
          config TEXT NOT NULL,          -- the Clash proxy-group entry as JSON
          position INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE rules (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          position INTEGER NOT NULL,
          origin TEXT NOT NULL DEFAULT 'profile',   -- profile | app (per-app toggles go ahead of the rest)
          type TEXT NOT NULL,
          payload TEXT NOT NULL,
          target TEXT NOT NULL,
          options TEXT NOT NULL DEFAULT '[]'
        );
        CREATE TABLE settings (
          key TEXT PRIMARY KEY,
          value TEXT NOT NULL            -- JSON
        );
        CREATE TABLE probe_samples (
          server_id TEXT NOT NULL,
          at INTEGER NOT NULL,
          kind TEXT NOT NULL,            -- latency | speed
          value REAL,                    -- ms or Mbit/s; NULL when the probe failed
          error TEXT
        );
        CREATE INDEX probe_samples_by_server ON probe_samples(server_id, kind, at);
        CREATE TABLE probe_daily (
          server_id TEXT NOT NULL,
          day TEXT NOT NULL,             -- YYYY-MM-DD, UTC
          kind TEXT NOT NULL,
          samples INTEGER NOT NULL,
          failures INTEGER NOT NULL,
          mean REAL, min REAL, max REAL,
          PRIMARY KEY (server_id, day, kind)
        );
        CREATE TABLE traffic_daily (
          name TEXT NOT NULL,            -- server or pool name
          day TEXT NOT NULL,
          up INTEGER NOT NULL DEFAULT 0,
          down INTEGER NOT NULL DEFAULT 0,
          connections INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (name, day)
        );
        CREATE TABLE apps (
          key TEXT PRIMARY KEY,          -- process path when known, else name
          name TEXT NOT NULL,
          path TEXT,
          first_seen INTEGER NOT NULL,
          last_seen INTEGER NOT NULL,
          up INTEGER NOT NULL DEFAULT 0,
          down INTEGER NOT NULL DEFAULT 0,
          connections INTEGER NOT NULL DEFAULT 0,
          policy TEXT NOT NULL DEFAULT 'default',   -- default | pool | direct | block
          target TEXT                                -- the pool when policy = pool
        );
      `);
    },
  },
];

export const LATEST_VERSION = migrations[migrations.length - 1]!.version;
