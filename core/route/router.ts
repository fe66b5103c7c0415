import type { ConnectionMeta } from '../adapter/outbound.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { matchInput, NEED_PROCESS, NEED_RESOLVE, setProcess, type MatchInput } from './match-input.js';
import type { ProcessLookup } from './process/types.js';
import { HostResolver } from './resolver.js';
import { PENDING, RuleSet } from './rule-set.js';
import type { Rule } from './rules.js';

const toMatch = (rule: Rule): RouteMatch => ({ target: rule.target, type: rule.type, payload: rule.payload });

/** Which rule matched a connection and where it sends it (an outbound name). */
export interface RouteMatch {
  target: string;
  type: string;
  payload: string;
}

export interface RouterOptions {
  resolver?: HostResolver;
  /** Undefined where the platform cannot tell (PROCESS-* rules then never match). */
  processLookup?: ProcessLookup;
  /** Our listening port once bound: the remote port of the client's socket. */
  serverPort: () => number | undefined;
  logger?: Logger;
}

/**
 * Rules in two tiers, first match wins: the per-app rules the user set (AppCatalog), then the profile's.
 * Both see the same connection, so a name is resolved and a process looked up at most once per
 * connection, and only when a rule reached in order needs it.
 */
export class Router {
  private appRules = new RuleSet([]);
  private readonly profileRules: RuleSet;
  private readonly resolver: HostResolver;
  private readonly logger: Logger;
  /** Look up every connection's process, rules or not, to list applications (costs a lookup per connection). */
  trackProcesses = false;

  constructor(
    profileRules: readonly Rule[],
    private readonly options: RouterOptions,
  ) {
    this.profileRules = new RuleSet(profileRules);
    this.resolver = options.resolver ?? new HostResolver();
    this.logger = options.logger ?? silentLogger;
  }

  /** Rules in match order: per-app first. */
  get rules(): readonly Rule[] {
    return [...this.appRules.rules, ...this.profileRules.rules];
  }

  /** Replaces the per-app tier; new connections use it at once. */
  setAppRules(rules: readonly Rule[]): void {
    this.appRules = new RuleSet(rules);
  }

  /** This platform's process lookup; undefined where there is none. */
  get processLookup(): ProcessLookup | undefined {
    return this.options.processLookup;
  }

  get processLookupAvailable(): boolean {
    return this.options.processLookup !== undefined;
  }

  /**
   * The matching rule, or undefined when none matches (the caller sends such traffic DIRECT). Answers at
   * once when no rule reached needs a resolved name or the process, which is the common case.
   */
  decide(meta: ConnectionMeta): RouteMatch | undefined | Promise<RouteMatch | undefined> {
    const input = matchInput(meta);
    // Tracking looks up before routing: the client's socket (and the client) may be gone a moment later.
    if (this.trackProcesses && input.process === undefined) return this.decideLater(input);
    const app = this.appRules.tryMatch(input);
    const rule = app === undefined ? this.profileRules.tryMatch(input) : app;
    if (rule === PENDING) return this.decideLater(input);
    return rule && toMatch(rule);
  }

  private async decideLater(input: MatchInput): Promise<RouteMatch | undefined> {
    if (this.trackProcesses && input.process === undefined) await this.fetchProcess(input);
    const rule = (await this.appRules.match(input, this.load)) ?? (await this.profileRules.match(input, this.load));
    return rule && toMatch(rule);
  }

  private readonly load = async (input: MatchInput, need: number): Promise<void> => {
    await Promise.all([need & NEED_RESOLVE ? this.resolve(input) : undefined, need & NEED_PROCESS ? this.fetchProcess(input) : undefined]);
  };

  private async resolve(input: MatchInput): Promise<void> {
    input.resolved = await this.resolver.resolve(input.host);
  }

  /** Fills meta.process too, so the tracker and the API show it. Never rejects. */
  private async fetchProcess(input: MatchInput): Promise<void> {
    const lookup = this.options.processLookup;
    const port = this.options.serverPort();
    let info;
    try {
      info = lookup && port ? await lookup.lookup(input.meta.source, port) : undefined;
    } catch (err) {
      this.logger.debug({ id: input.meta.id, err: (err as Error).message }, 'process lookup failed');
    }
    setProcess(input, info ?? null);
    if (info) input.meta.process = info;
  }

  /** The connection from this client ended (its descriptor may be reused by the next socket). */
  forget(meta: ConnectionMeta): void {
    if (meta.process) this.options.processLookup?.forget?.(meta.source);
  }
}
