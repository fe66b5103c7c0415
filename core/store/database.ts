import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LATEST_VERSION, migrations as allMigrations, type Migration } from './migrations.js';

export type StoreErrorCode = 'DB_CORRUPT' | 'DB_FROM_FUTURE' | 'DB_MIGRATION_FAILED' | 'DB_OPEN_FAILED';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

export interface OpenOptions {
  /** Tests pass a shorter list to build a database as an older release left it. */
  migrations?: readonly Migration[];
  readonly?: boolean;
}

export const DATABASE_FILE = 'switchyard.db';

/** The database file inside a data directory (the user data dir in the app, `--data-dir` for the CLI). */
export function databasePath(dataDir: string): string {
  return path.join(dataDir, DATABASE_FILE);
}

/**
 * Opens (creating if absent) the database and brings its schema up to date.
 * - A file that is not a SQLite database, or fails its integrity check, is refused (DB_CORRUPT) and left as it is.
 * - A schema newer than this build knows is refused (DB_FROM_FUTURE) and left as it is.
 * - Before migrating an existing database, a copy is written beside it (`switchyard.db.v<old>.bak`).
 */
export function openDatabase(file: string, options: OpenOptions = {}): Database.Database {
  const migrations = options.migrations ?? allMigrations;
  const latest = migrations.length ? migrations[migrations.length - 1]!.version : 0;
  const existed = fs.existsSync(file) && fs.statSync(file).size > 0;
  if (!options.readonly) fs.mkdirSync(path.dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: options.readonly === true, fileMustExist: options.readonly === true });
  } catch (err) {
    throw new StoreError('DB_OPEN_FAILED', `cannot open database ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    let version: number;
    try {
      version = db.pragma('user_version', { simple: true }) as number;
      if (existed) {
        const check = db.pragma('quick_check', { simple: true });
        if (check !== 'ok') throw new Error(String(check));
      }
    } catch (err) {
      throw new StoreError(
        'DB_CORRUPT',
        `database ${file} is damaged or not a Switchyard database (${(err as Error).message}); it was left untouched — move it away to start fresh, or restore a backup`,
        { cause: err },
      );
    }
    if (version > latest) {
      throw new StoreError(
        'DB_FROM_FUTURE',
        `database ${file} has schema version ${version}, newer than this Switchyard understands (${latest}); it was left untouched — update Switchyard to open it`,
      );
    }
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (version < latest && !options.readonly) {
      if (existed && version > 0) backup(db, file, version);
      migrate(db, migrations, version, file);
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function backup(db: Database.Database, file: string, version: number): void {
  // VACUUM INTO writes a consistent copy even with WAL content not yet checkpointed.
  const target = `${file}.v${version}.bak`;
  if (fs.existsSync(target)) fs.rmSync(target);
  db.prepare('VACUUM INTO ?').run(target);
}

function migrate(db: Database.Database, migrations: readonly Migration[], from: number, file: string): void {
  for (const m of migrations) {
    if (m.version <= from) continue;
    try {
      db.transaction(() => {
        m.up(db);
        db.pragma(`user_version = ${m.version}`);
      })();
    } catch (err) {
      throw new StoreError('DB_MIGRATION_FAILED', `migrating ${file} to version ${m.version} (${m.description}) failed: ${(err as Error).message}`, { cause: err });
    }
  }
}

export { LATEST_VERSION };
