import type { Pick, StrategyFactory, StrategyOptions } from '../adapter/strategy.js';
import { UnknownStrategyError } from './errors.js';
import { roundRobin } from './round-robin.js';
import { random } from './random.js';
import { weightedRoundRobin } from './weighted-round-robin.js';
import { leastConnections, weightedLeastConnections } from './least-connections.js';
import { consistentHashing } from './consistent-hashing.js';
import { stickySessions } from './sticky-sessions.js';
import { failover } from './failover.js';
import { leastLatency } from './least-latency.js';
import { weightedLatency } from './weighted-latency.js';
import { healthScore } from './health-score.js';

/**
 * Every balancing strategy by the name a profile uses (DESIGN.md section 3). Adding one is a module
 * plus one line here; the probe-driven ones (weighted-latency, health-score) read latencyMs,
 * failureRate and speedMbps from StrategyMember, which pools already carry.
 */
export const strategies: Readonly<Record<string, StrategyFactory>> = {
  'round-robin': roundRobin,
  random,
  'weighted-round-robin': weightedRoundRobin,
  'least-connections': leastConnections,
  'weighted-least-connections': weightedLeastConnections,
  'consistent-hashing': consistentHashing,
  'sticky-sessions': stickySessions,
  failover,
  'least-latency': leastLatency,
  'weighted-latency': weightedLatency,
  'health-score': healthScore,
};

export function strategyNames(): string[] {
  return Object.keys(strategies).sort();
}

/** A fresh pick closure with its own state; throws UnknownStrategyError (UNKNOWN_STRATEGY) for an unknown name. */
export function createStrategy(name: string, options: StrategyOptions = {}): Pick {
  const factory = Object.hasOwn(strategies, name) ? strategies[name] : undefined;
  if (!factory) throw new UnknownStrategyError(name, strategyNames());
  return factory(options);
}
