import type { Duplex } from 'node:stream';
import type { ConnectionMeta, DialContext, Destination, Outbound } from '../adapter/outbound.js';
import type { Pick, StrategyOptions } from '../adapter/strategy.js';
import { type Clock, systemClock } from '../adapter/clock.js';
import { ConfigError, ProxyError, fromSocketError } from '../adapter/errors.js';
import { PoolMember, type PassiveHealthOptions, type ProbeState } from './pool-member.js';
import { createStrategy } from './strategies.js';
import { type Logger, silentLogger } from '../logger.js';
import { PoolNotSelectableError, StrategyFixedError, UnknownMemberError } from './errors.js';

export type PoolType = 'load-balance' | 'url-test' | 'fallback' | 'select';

/** Plain settings of one `proxy-groups:` entry, with its members already resolved to outbounds. */
export interface PoolConfig {
  name: string;
  type: PoolType;
  /** load-balance only; round-robin when absent. The other types imply theirs. */
  strategy?: string;
  members: readonly Outbound[];
  /** Used only while no primary member is alive. */
  backup?: readonly Outbound[];
  /** Member name → its `weight` from the proxies list; 1 when absent. */
  weights?: Readonly<Record<string, number>>;
  /** Default 5. */
  maxFailedTimes?: number;
  /** Window in which failures count toward ejection; default 60 s. */
  failWindowMs?: number;
  /** `fail-timeout` (seconds in the profile) in ms; default 30 s. */
  failTimeoutMs?: number;
  /** ms hysteresis for url-test / least-latency; default 0. */
  tolerance?: number;
  /** Further members to try after a retryable failure; default 2. */
  maxRetries?: number;
}

export interface PoolDeps {
  clock?: Clock;
  /** Seeded randomness for tests (random strategy). */
  random?: () => number;
  logger?: Logger;
}

export interface MemberEjectedEvent {
  pool: string;
  member: string;
  /** Epoch ms when it comes back. */
  until: number;
  /** The failure that tipped it over. */
  error: ProxyError;
}

export interface PoolMemberSnapshot {
  name: string;
  type: string;
  alive: boolean;
  ejectedUntil: number | null;
  activeConnections: number;
  failures: number;
  weight: number;
  latencyMs: number | null;
  speedMbps: number | null;
}

export interface PoolSnapshot {
  name: string;
  type: PoolType;
  strategy: string;
  /** The selected member (select), the current pick (url-test, fallback) or the last one picked. */
  now: string | null;
  members: PoolMemberSnapshot[];
  backup: PoolMemberSnapshot[];
}

const DEFAULTS = { maxFailedTimes: 5, failWindowMs: 60_000, failTimeoutMs: 30_000, tolerance: 0, maxRetries: 2 };

/** What a pool uses for the settings its group leaves out (the controller shows them). */
export const POOL_DEFAULTS: Readonly<typeof DEFAULTS> = Object.freeze({ ...DEFAULTS });

/** A group's strategy: fixed by its type, chosen by `strategy:` for load-balance. */
export function strategyFor(type: PoolType, strategy?: string): string {
  switch (type) {
    case 'url-test':
      return 'least-latency';
    case 'fallback':
      return 'failover';
    case 'select':
      return 'select';
    case 'load-balance':
      return strategy ?? 'round-robin';
  }
}

/**
 * A proxy group as an outbound: picks an alive member with its strategy, dials through it and, when the
 * dial fails in a way another member might not, tries another (at most `maxRetries` more).
 *
 *   client → inbound → router → pool → member (server or nested pool) → target
 *
 * Members that fail `maxFailedTimes` times within `failWindowMs` are ejected for `failTimeoutMs`
 * (passive health); probes mark members dead or alive through setProbeState(). Backup members carry
 * traffic only while no primary member is alive. A `select` pool dials the chosen member and nothing
 * else, as Clash does: the user's choice is not second-guessed.
 * Nested pools must not form a cycle; the profile builder rejects those.
 */
export class Pool implements Outbound {
  readonly name: string;
  readonly type: PoolType;
  private strategyName: string;
  private readonly primary: PoolMember[];
  private readonly backup: PoolMember[];
  private pickPrimary?: Pick;
  private pickBackup?: Pick;
  private readonly strategyOptions: StrategyOptions;
  private readonly maxRetries: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly ejectedListeners = new Set<(event: MemberEjectedEvent) => void>();
  private selected?: PoolMember;
  private lastPicked?: string;
  private readonly health: PassiveHealthOptions;
  private readonly weights: Record<string, number>;

  constructor(config: PoolConfig, deps: PoolDeps = {}) {
    this.name = config.name;
    this.type = config.type;
    this.strategyName = strategyFor(config.type, config.strategy);
    this.clock = deps.clock ?? systemClock;
    this.logger = deps.logger ?? silentLogger;
    this.maxRetries = config.maxRetries ?? DEFAULTS.maxRetries;
    const health = {
      maxFailedTimes: config.maxFailedTimes ?? DEFAULTS.maxFailedTimes,
      failWindowMs: config.failWindowMs ?? DEFAULTS.failWindowMs,
      failTimeoutMs: config.failTimeoutMs ?? DEFAULTS.failTimeoutMs,
    };
    this.health = health;
    this.weights = { ...config.weights };
    const build = (outbounds: readonly Outbound[]) =>
      outbounds.map((o, i) => new PoolMember(o, i, weightOf(this.name, this.weights, o.name), health));
    this.primary = build(config.members);
    this.backup = build(config.backup ?? []);
    this.strategyOptions = { tolerance: config.tolerance ?? DEFAULTS.tolerance, random: deps.random, now: () => this.clock.now() };
    if (this.type === 'select') this.selected = this.primary[0];
    else this.buildPicks();
  }

  get strategy(): string {
    return this.strategyName;
  }

  /**
   * Switches a load-balance pool to another strategy while it runs (the UI's strategy picker). The new
   * strategy starts with fresh state; connections already open stay where they are. Other group types
   * imply their strategy and refuse (STRATEGY_FIXED); an unknown name throws UnknownStrategyError.
   */
  setStrategy(name: string): void {
    if (this.type !== 'load-balance') throw new StrategyFixedError(this.name, this.type, this.strategyName);
    const previous = this.strategyName;
    createStrategy(name, this.strategyOptions); // throws for an unknown name before anything changes
    this.strategyName = name;
    this.buildPicks();
    this.logger.info({ pool: this.name, from: previous, to: name }, 'pool strategy changed');
  }

  /** Each tier gets its own closure: indexes and round-robin positions are per list. */
  private buildPicks(): void {
    this.pickPrimary = createStrategy(this.strategyName, this.strategyOptions);
    this.pickBackup = createStrategy(this.strategyName, this.strategyOptions);
  }

  async dial(destination: Destination, ctx: DialContext): Promise<Duplex> {
    const base = ctx.chain.length;
    const tried = new Set<PoolMember>();
    const failures: { member: PoolMember; error: ProxyError }[] = [];
    for (let attempt = 0; attempt <= this.maxRetries; attempt++) {
      const member = this.choose(ctx.meta, tried);
      if (!member) break;
      tried.add(member);
      this.lastPicked = member.name;
      ctx.chain.push(member.name);
      member.beginDial();
      try {
        const stream = await member.outbound.dial(destination, ctx);
        member.recordSuccess(this.clock.now());
        member.trackStream(stream);
        return stream;
      } catch (err) {
        member.dialFailed();
        ctx.chain.length = base;
        const error = fromSocketError(err, `dial via ${member.name}`, member.name);
        failures.push({ member, error });
        // A rejection or an abort would fail on every member alike, and is not the member's fault.
        if (!error.retryable) throw error;
        const now = this.clock.now();
        if (member.recordFailure(now)) this.memberEjected({ pool: this.name, member: member.name, until: member.ejectedUntil!, error });
      }
    }
    if (failures.length === 1) throw failures[0]!.error;
    if (failures.length > 1) {
      const list = failures.map((f) => `${f.member.name} ${f.error.code}`).join(', ');
      throw new ProxyError('NO_ALIVE_MEMBER', `pool ${this.name}: all ${failures.length} members tried failed: ${list}`, {
        cause: failures.at(-1)!.error,
        outbound: this.name,
      });
    }
    throw new ProxyError('NO_ALIVE_MEMBER', `pool ${this.name} has no alive member: ${this.describeDown()}`, { outbound: this.name });
  }

  /** The user's choice in a select group (API PUT /proxies/{group}). */
  select(memberName: string): void {
    if (this.type !== 'select') throw new PoolNotSelectableError(this.name, this.type);
    const member = this.primary.find((m) => m.name === memberName);
    if (!member) throw new UnknownMemberError(this.name, memberName, this.primary.map((m) => m.name));
    this.selected = member;
  }

  /**
   * What probes report about a member, by name (in members and backup alike). Fields left out keep their
   * value. Returns false when the pool has no member of that name.
   */
  setProbeState(memberName: string, state: ProbeState): boolean {
    let found = false;
    for (const m of [...this.primary, ...this.backup]) {
      if (m.name !== memberName) continue;
      m.applyProbe(state);
      found = true;
    }
    return found;
  }

  /** Called when passive health takes a member out (so probes can look at it at once). Returns the unsubscribe. */
  onMemberEjected(listener: (event: MemberEjectedEvent) => void): () => void {
    this.ejectedListeners.add(listener);
    return () => this.ejectedListeners.delete(listener);
  }

  /** Whether a dial could be tried now; a parent pool treats this pool as down when it is false. */
  hasAliveMember(): boolean {
    const now = this.clock.now();
    if (this.type === 'select') return this.selected !== undefined && this.isAlive(this.selected, now);
    return [...this.primary, ...this.backup].some((m) => this.isAlive(m, now));
  }

  /**
   * Replaces the primary members (a proxy provider refreshed its list). A member whose name stays keeps its
   * state (open connections, failures, ejection, probe results) and takes the new outbound and weight; a
   * select pool whose chosen member left falls back to the first one. `weights` adds to the pool's own.
   */
  setMembers(outbounds: readonly Outbound[], weights: Readonly<Record<string, number>> = {}): void {
    Object.assign(this.weights, weights);
    const current = new Map(this.primary.map((m) => [m.name, m]));
    const next = outbounds.map((o, i) => {
      const weight = weightOf(this.name, this.weights, o.name);
      const kept = current.get(o.name);
      if (!kept) return new PoolMember(o, i, weight, this.health);
      current.delete(o.name); // the same name listed twice gets a member of its own the second time
      kept.rebind(o, i, weight);
      return kept;
    });
    this.primary.splice(0, this.primary.length, ...next);
    if (this.type === 'select' && (this.selected === undefined || !next.includes(this.selected))) this.selected = next[0];
  }

  memberNames(): { members: string[]; backup: string[] } {
    return { members: this.primary.map((m) => m.name), backup: this.backup.map((m) => m.name) };
  }

  snapshot(): PoolSnapshot {
    const now = this.clock.now();
    const describe = (m: PoolMember): PoolMemberSnapshot => ({
      name: m.name,
      type: m.outbound.type,
      alive: this.isAlive(m, now),
      ejectedUntil: m.isEjected(now) ? m.ejectedUntil! : null,
      activeConnections: m.activeConnections,
      failures: m.failures(now),
      weight: m.weight,
      latencyMs: m.latencyMs ?? null,
      speedMbps: m.speedMbps ?? null,
    });
    return {
      name: this.name,
      type: this.type,
      strategy: this.strategy,
      now: this.currentName(),
      members: this.primary.map(describe),
      backup: this.backup.map(describe),
    };
  }

  close(): void {
    // Members may be shared with other pools; they are closed by whoever built them.
    this.ejectedListeners.clear();
  }

  /** The next member to try, or undefined when nobody alive is left untried. */
  private choose(meta: ConnectionMeta, tried: ReadonlySet<PoolMember>): PoolMember | undefined {
    if (this.type === 'select') return this.selected && !tried.has(this.selected) ? this.selected : undefined;
    const now = this.clock.now();
    let tier = this.primary.filter((m) => this.isAlive(m, now));
    let pick = this.pickPrimary!;
    if (tier.length === 0) {
      tier = this.backup.filter((m) => this.isAlive(m, now));
      pick = this.pickBackup!;
    }
    const candidates = tier.filter((m) => !tried.has(m));
    if (candidates.length === 0) return undefined;
    const views = candidates.map((m) => m.view(now));
    const chosen = candidates[views.indexOf(pick(views, meta))];
    if (!chosen) throw new ProxyError('INTERNAL', `strategy ${this.strategy} picked a member it was not offered`, { outbound: this.name });
    return chosen;
  }

  private isAlive(m: PoolMember, now: number): boolean {
    if (m.isEjected(now) || !m.probeAlive) return false;
    return m.outbound instanceof Pool ? m.outbound.hasAliveMember() : true;
  }

  private currentName(): string | null {
    if (this.type === 'select') return this.selected?.name ?? null;
    if (this.type === 'fallback' || this.type === 'url-test') {
      // What the next dial would take; for url-test this also applies the tolerance to fresh probe results.
      const meta = placeholderMeta(this.clock.now());
      const member = this.choose(meta, new Set());
      return member?.name ?? this.lastPicked ?? null;
    }
    return this.lastPicked ?? null;
  }

  /** Why each member is out, for the NO_ALIVE_MEMBER message. */
  private describeDown(): string {
    const all = [...this.primary.map((m) => ({ m, backup: false })), ...this.backup.map((m) => ({ m, backup: true }))];
    if (all.length === 0) return 'it has no members';
    const now = this.clock.now();
    return all
      .map(({ m, backup }) => {
        const label = backup ? `${m.name} (backup)` : m.name;
        if (m.isEjected(now)) return `${label} ejected for ${Math.ceil((m.ejectedUntil! - now) / 1000)} s after repeated failures`;
        if (!m.probeAlive) return `${label} down by health check`;
        return `${label} has no alive member`;
      })
      .join(', ');
  }

  private memberEjected(event: MemberEjectedEvent): void {
    this.logger.info({ pool: event.pool, member: event.member, until: new Date(event.until).toISOString(), code: event.error.code }, 'member ejected');
    for (const listener of this.ejectedListeners) {
      try {
        listener(event);
      } catch (err) {
        // A listener's bug must not fail the client's connection, which is still being retried.
        this.logger.error({ pool: this.name, err: (err as Error).message }, 'onMemberEjected listener threw');
      }
    }
  }
}

function weightOf(pool: string, weights: Readonly<Record<string, number>>, member: string): number {
  const weight = weights[member] ?? 1;
  if (!Number.isFinite(weight) || weight <= 0) {
    throw new ConfigError([{ path: `proxy-groups[${pool}].${member}.weight`, message: `expected a positive number, got ${weight}` }]);
  }
  return weight;
}

/** Fallback and url-test picks do not look at the connection; snapshot() still has to hand them one. */
function placeholderMeta(now: number): ConnectionMeta {
  return {
    id: 'snapshot',
    network: 'tcp',
    inbound: 'api',
    source: { address: '127.0.0.1', port: 0 },
    destination: { host: 'snapshot.invalid', port: 0 },
    startedAt: now,
  };
}
