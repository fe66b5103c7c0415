import type { TrackedConnection } from '../stats/tracker.js';
import type { ProcessInfo } from './match-input.js';
import type { RuleSpec } from './rules.js';

export const APP_POLICIES = ['default', 'pool', 'direct', 'block'] as const;
export type AppPolicyKind = (typeof APP_POLICIES)[number];

/** How long an application stays listed after its last connection. */
export const APP_RETENTION_MS = 7 * 24 * 3600 * 1000;

/** One application as stored: totals of its finished connections, and the user's policy. */
export interface AppRecord {
  /** The executable's path when known, else its name. */
  key: string;
  name: string;
  path: string | null;
  firstSeen: number;
  lastSeen: number;
  up: number;
  down: number;
  connections: number;
  policy: AppPolicyKind;
  /** The pool, when policy is `pool`. */
  target: string | null;
}

/** Usage to add to an application's totals (creating it when new). */
export interface AppUsage {
  key: string;
  name: string;
  path: string | null;
  at: number;
  up: number;
  down: number;
  connections: number;
}

/** Where applications persist: SQLite (core/store/apps.ts) or memory. */
export interface AppStore {
  /** Applications seen since `since`, and every one with a policy other than default. */
  list(since: number): AppRecord[];
  addUsage(usage: readonly AppUsage[]): void;
  setPolicy(app: { key: string; name: string; path: string | null }, policy: AppPolicyKind, target: string | null, at: number): void;
  /** Forgets applications last seen before `before` that carry no policy; returns how many. */
  prune(before: number): number;
}

export class MemoryAppStore implements AppStore {
  private readonly apps = new Map<string, AppRecord>();

  list(since: number): AppRecord[] {
    return [...this.apps.values()].filter((a) => a.lastSeen >= since || a.policy !== 'default').map((a) => ({ ...a }));
  }

  addUsage(usage: readonly AppUsage[]): void {
    for (const u of usage) {
      const a = this.get(u, u.at);
      a.lastSeen = Math.max(a.lastSeen, u.at);
      a.up += u.up;
      a.down += u.down;
      a.connections += u.connections;
    }
  }

  setPolicy(app: { key: string; name: string; path: string | null }, policy: AppPolicyKind, target: string | null, at: number): void {
    const a = this.get(app, at);
    a.policy = policy;
    a.target = target;
  }

  prune(before: number): number {
    let n = 0;
    for (const [key, a] of this.apps) if (a.lastSeen < before && a.policy === 'default' && this.apps.delete(key)) n++;
    return n;
  }

  private get(app: { key: string; name: string; path: string | null }, at: number): AppRecord {
    let a = this.apps.get(app.key);
    if (!a) {
      a = { key: app.key, name: app.name, path: app.path, firstSeen: at, lastSeen: at, up: 0, down: 0, connections: 0, policy: 'default', target: null };
      this.apps.set(app.key, a);
    }
    return a;
  }
}

/** The key an application is known by: its path when the platform gives one, else its name. */
export function appKey(p: ProcessInfo): string | undefined {
  return p.path || p.name || undefined;
}

/** An application as the API shows it: stored totals plus its connections open right now. */
export interface AppView extends AppRecord {
  activeConnections: number;
}

export interface AppCatalogOptions {
  store?: AppStore;
  now?: () => number;
}

/**
 * Every application seen in the last 7 days with its bytes and connections, and its policy. Finished
 * connections are added up in memory and written to the store in batches (flush), never one write per
 * connection; open ones are added live when listed. A policy becomes a PROCESS-PATH rule (PROCESS-NAME
 * when the path is unknown) that goes ahead of the profile's rules.
 */
export class AppCatalog {
  private readonly store: AppStore;
  private readonly now: () => number;
  private pending = new Map<string, AppUsage>();
  private policies = new Map<string, AppRecord>();
  private readonly listeners = new Set<() => void>();

  constructor(options: AppCatalogOptions = {}) {
    this.store = options.store ?? new MemoryAppStore();
    this.now = options.now ?? Date.now;
    for (const a of this.store.list(this.now() - APP_RETENTION_MS)) if (a.policy !== 'default') this.policies.set(a.key, a);
  }

  /** A connection finished: adds its bytes to its application (no-op when the process is unknown). */
  recordClosed(c: TrackedConnection): void {
    const p = c.meta.process;
    const key = p && appKey(p);
    if (!p || !key) return;
    const u = this.pending.get(key) ?? { key, name: p.name ?? key, path: p.path ?? null, at: 0, up: 0, down: 0, connections: 0 };
    u.at = this.now();
    u.up += c.up;
    u.down += c.down;
    u.connections++;
    this.pending.set(key, u);
  }

  /** Writes the batched totals and forgets applications unseen for 7 days. */
  flush(): void {
    const batch = [...this.pending.values()];
    this.pending = new Map();
    if (batch.length) this.store.addUsage(batch);
    this.store.prune(this.now() - APP_RETENTION_MS);
  }

  /** Stored totals, plus connections still open (`open` is the tracker's list), most recently seen first. */
  list(open: readonly TrackedConnection[]): AppView[] {
    this.flush();
    const now = this.now();
    const byKey = new Map<string, AppView>();
    for (const a of this.store.list(now - APP_RETENTION_MS)) byKey.set(a.key, { ...a, activeConnections: 0 });
    for (const c of open) {
      const p = c.meta.process;
      const key = p && appKey(p);
      if (!p || !key) continue;
      let a = byKey.get(key);
      if (!a) {
        a = { key, name: p.name ?? key, path: p.path ?? null, firstSeen: c.meta.startedAt, lastSeen: now, up: 0, down: 0, connections: 0, policy: 'default', target: null, activeConnections: 0 };
        byKey.set(key, a);
      }
      a.lastSeen = now;
      a.up += c.up;
      a.down += c.down;
      a.connections++;
      a.activeConnections++;
    }
    return [...byKey.values()].sort((x, y) => y.lastSeen - x.lastSeen || x.key.localeCompare(y.key));
  }

  policyOf(key: string): { policy: AppPolicyKind; target: string | null } {
    const a = this.policies.get(key);
    return a ? { policy: a.policy, target: a.target } : { policy: 'default', target: null };
  }

  /**
   * Sets an application's policy (`target` is the pool for `pool`). An application never seen may be named
   * by its path (anything with a slash or backslash) or its name, so it can be blocked before it connects.
   */
  setPolicy(key: string, policy: AppPolicyKind, target: string | null): AppRecord {
    const isPath = /[\\/]/.test(key);
    const known = this.find(key);
    const app = known ?? { key, name: isPath ? key.slice(Math.max(key.lastIndexOf('/'), key.lastIndexOf('\\')) + 1) : key, path: isPath ? key : null };
    this.store.setPolicy(app, policy, policy === 'pool' ? target : null, this.now());
    const saved = this.find(key)!;
    if (policy === 'default') this.policies.delete(key);
    else this.policies.set(key, saved);
    for (const l of this.listeners) l();
    return saved;
  }

  private find(key: string): AppRecord | undefined {
    return this.store.list(0).find((a) => a.key === key);
  }

  /** Called after every policy change (the router recompiles its per-app rules). */
  onPolicyChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get hasPolicies(): boolean {
    return this.policies.size > 0;
  }

  /** The per-app rules, in key order so the list is stable: PROCESS-PATH when the path is known. */
  rules(): RuleSpec[] {
    return [...this.policies.values()]
      .sort((a, b) => a.key.localeCompare(b.key))
      .map((a) => ({
        type: a.path ? 'PROCESS-PATH' : 'PROCESS-NAME',
        payload: a.path ?? a.name,
        target: a.policy === 'direct' ? 'DIRECT' : a.policy === 'block' ? 'REJECT' : a.target!,
        options: [],
      }));
  }
}

/** Whether a connection belongs to the application `key`. */
export function belongsTo(c: TrackedConnection, key: string): boolean {
  const p = c.meta.process;
  return !!p && appKey(p) === key;
}
