import { ConfigError } from '../adapter/errors.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import type { ConnectionTracker } from '../stats/tracker.js';
import { AppPolicies, type AppPoliciesOptions } from './app-policies.js';
import { createProcessLookup, type ProcessLookup } from './process/index.js';
import type { HostResolver } from './resolver.js';
import { Router } from './router.js';
import { compileRule, SUPPORTED_RULE_TYPES, UnsupportedRuleError, type Rule, type RuleSpec } from './rules.js';

export interface CompiledRules {
  rules: Rule[];
  /** Rule types we do not match, with how many were skipped. */
  skipped: Map<string, number>;
  problems: { path: string; message: string }[];
}

/** Compiles the profile's rules; a bad payload is a problem naming its rule (`rules[3]`), an unsupported type is skipped. */
export function compileProfileRules(specs: readonly RuleSpec[]): CompiledRules {
  const out: CompiledRules = { rules: [], skipped: new Map(), problems: [] };
  specs.forEach((spec, i) => {
    try {
      out.rules.push(compileRule(spec));
    } catch (err) {
      if (err instanceof UnsupportedRuleError) {
        const type = SUPPORTED_RULE_TYPES.includes(spec.type) ? `${spec.type} (with an unsupported sub-rule)` : spec.type;
        out.skipped.set(type, (out.skipped.get(type) ?? 0) + 1);
      } else out.problems.push({ path: `rules[${i}]`, message: (err as Error).message });
    }
  });
  return out;
}

export interface RoutingOptions extends AppPoliciesOptions {
  /** null: no process lookup at all; default: this platform's. */
  processLookup?: ProcessLookup | null;
  resolver?: HostResolver;
}

export interface RoutingDeps {
  tracker: ConnectionTracker;
  poolNames: () => string[];
  /** The mixed inbound's port once it listens. */
  serverPort: () => number | undefined;
  logger?: Logger;
}

/**
 * The engine's rules: compiles the profile's (ConfigError naming each bad rule), warns once per skipped
 * type, and builds the router with its per-app tier and the app policies the API changes.
 */
export function createRouting(specs: readonly RuleSpec[], deps: RoutingDeps, options: RoutingOptions = {}): { router: Router; apps: AppPolicies } {
  const logger = deps.logger ?? silentLogger;
  const compiled = compileProfileRules(specs);
  if (compiled.problems.length) throw new ConfigError(compiled.problems);
  for (const [type, count] of compiled.skipped) {
    logger.warn(`ignored ${count} ${type} rule${count > 1 ? 's' : ''}: not supported (supported: ${SUPPORTED_RULE_TYPES.join(', ')})`);
  }
  const processLookup = options.processLookup === null ? undefined : (options.processLookup ?? createProcessLookup(process.platform, logger));
  const router = new Router(compiled.rules, { resolver: options.resolver, processLookup, serverPort: deps.serverPort, logger });
  const apps = new AppPolicies(router, deps.tracker, deps.poolNames, options, logger);
  return { router, apps };
}
