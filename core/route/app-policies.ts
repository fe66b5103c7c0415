import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { ConnectionTracker, TrackedConnection } from '../stats/tracker.js';
import { AppCatalog, belongsTo, type AppPolicyKind, type AppRecord, type AppStore, type AppView } from './apps.js';
import type { Router } from './router.js';
import { compileRule } from './rules.js';

/** Said with every answer, so the UI does not promise what a proxy cannot see. */
export const APPS_NOTE =
  'Only connections made through Switchyard are seen here. Apps that ignore the system proxy connect directly and never appear; catching those needs a TUN device, which Switchyard does not use.';
const NO_LOOKUP_NOTE = ' This platform cannot tell which app opened a connection, so per-app policies have no effect here.';

export interface AppsAnswer {
  apps: AppView[];
  /** Whether every connection's process is looked up (otherwise only when a rule or a policy needs it). */
  tracking: boolean;
  /** Whether this platform can tell which app opened a connection at all. */
  lookupAvailable: boolean;
  /** Pools a policy may send an app to. */
  pools: string[];
  note: string;
}

export interface AppPoliciesOptions {
  store?: AppStore;
  /** Look up every connection's process so the list fills (off by default: it costs a lookup per connection). */
  track?: boolean;
  /** Batched totals are written this often; default 10 s. */
  flushIntervalMs?: number;
  /** Told when the API turns tracking on or off, so the choice can outlive the process. */
  onTrackingChange?: (on: boolean) => void;
  now?: () => number;
}

/**
 * Per-app policies as the controller API offers them: the application list, and a policy per app that
 * becomes a rule ahead of the profile's at once. Wires the catalog to the router (rules, process
 * lookups) and to the tracker (totals when a connection finishes).
 */
export class AppPolicies {
  readonly catalog: AppCatalog;
  private timer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly router: Router,
    private readonly tracker: ConnectionTracker,
    private readonly poolNames: () => string[],
    private readonly options: AppPoliciesOptions = {},
    private readonly logger: Logger = silentLogger,
  ) {
    this.catalog = new AppCatalog({ store: options.store, now: options.now });
    router.trackProcesses = options.track === true;
    this.applyRules();
    this.unsubscribe = tracker.onClosed((c) => this.closed(c));
  }

  start(): void {
    this.timer ??= setInterval(() => this.flush(), this.options.flushIntervalMs ?? 10_000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe();
    this.flush();
  }

  list(): AppsAnswer {
    return {
      apps: this.catalog.list(this.tracker.list()),
      tracking: this.router.trackProcesses,
      lookupAvailable: this.router.processLookupAvailable,
      pools: this.poolNames(),
      note: APPS_NOTE + (this.router.processLookupAvailable ? '' : NO_LOOKUP_NOTE),
    };
  }

  setTracking(on: boolean): void {
    this.router.trackProcesses = on;
    this.options.onTrackingChange?.(on);
  }

  get pools(): string[] {
    return this.poolNames();
  }

  /**
   * Sets the policy (the caller has checked `target` names a pool when policy is `pool`); with
   * `closeConnections`, ends the app's open connections so they reconnect under the new policy.
   */
  setPolicy(key: string, policy: AppPolicyKind, target: string | null, closeConnections = false): { app: AppRecord; closed: number } {
    const app = this.catalog.setPolicy(key, policy, target);
    this.applyRules();
    let closed = 0;
    if (closeConnections) {
      for (const c of this.tracker.list()) {
        if (!belongsTo(c, key)) continue;
        c.close();
        closed++;
      }
    }
    this.logger.info({ app: key, policy, target, closed }, 'app policy changed');
    return { app, closed };
  }

  private applyRules(): void {
    const pools = new Set(this.poolNames());
    const specs = this.catalog.rules().filter((r) => {
      const ok = r.target === 'DIRECT' || r.target === 'REJECT' || pools.has(r.target);
      if (!ok) this.logger.warn({ rule: `${r.type},${r.payload}`, target: r.target }, 'app policy names a pool this profile does not have; ignored');
      return ok;
    });
    this.router.setAppRules(specs.map(compileRule));
  }

  private closed(c: TrackedConnection): void {
    this.router.forget(c.meta);
    this.catalog.recordClosed(c);
  }

  private flush(): void {
    try {
      this.catalog.flush();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not save app totals');
    }
  }
}
