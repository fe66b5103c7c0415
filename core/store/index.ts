import type Database from 'better-sqlite3';
import { databasePath, openDatabase, type OpenOptions } from './database.js';
import { StoreChanges } from './changes.js';
import { ServerRepository } from './servers.js';
import { SettingsRepository } from './settings.js';
import { SubscriptionRepository } from './subscriptions.js';

/** The app's database and its repositories, one per table family. */
export class Store {
  readonly servers: ServerRepository;
  readonly settings: SettingsRepository;
  readonly subscriptions: SubscriptionRepository;
  /** Fires after each write to servers or subscriptions. */
  readonly changes = new StoreChanges();

  constructor(readonly db: Database.Database) {
    const changed = () => this.changes.notify();
    this.servers = new ServerRepository(db, changed);
    this.settings = new SettingsRepository(db);
    this.subscriptions = new SubscriptionRepository(db, changed);
  }

  close(): void {
    this.db.close();
  }
}

export function openStore(dataDir: string, options?: OpenOptions): Store {
  return new Store(openDatabase(databasePath(dataDir), options));
}

export { StoreChanges } from './changes.js';
export { StoreError, openDatabase, databasePath } from './database.js';
export type { ServerRecord, ServerInput } from './servers.js';
export type { SubscriptionRecord, SubscriptionInput, SubscriptionPatch, SubscriptionHeaderInfo } from './subscriptions.js';
