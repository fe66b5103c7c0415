import type Database from 'better-sqlite3';
import { databasePath, openDatabase, type OpenOptions } from './database.js';
import { ServerRepository } from './servers.js';
import { SettingsRepository } from './settings.js';

/** The app's database and its repositories, one per table family. */
export class Store {
  readonly servers: ServerRepository;
  readonly settings: SettingsRepository;

  constructor(readonly db: Database.Database) {
    this.servers = new ServerRepository(db);
    this.settings = new SettingsRepository(db);
  }

  close(): void {
    this.db.close();
  }
}

export function openStore(dataDir: string, options?: OpenOptions): Store {
  return new Store(openDatabase(databasePath(dataDir), options));
}

export { StoreError, openDatabase, databasePath } from './database.js';
