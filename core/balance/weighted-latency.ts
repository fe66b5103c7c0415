import type { StrategyFactory, StrategyMember } from '../adapter/strategy.js';

/** Latency assumed for a member no probe has measured yet: middling, so it still gets tried. */
export const UNKNOWN_LATENCY_MS = 100;
/** A member this many ms slow or slower keeps the floor weight of 1. */
export const LATENCY_CEILING_MS = 200;

/** The draw weight of one member: max(1, 200 − latency ms), latency 100 ms when unknown. */
export function latencyWeight(member: Pick<StrategyMember, 'latencyMs'>): number {
  return Math.max(1, LATENCY_CEILING_MS - (member.latencyMs ?? UNKNOWN_LATENCY_MS));
}

/**
 * Random choice weighted towards fast members (DESIGN.md section 3): weight = max(1, 200 − latency ms).
 * Slow members are not starved entirely, so a probe that once measured them badly can be disproved by
 * traffic; the configured `weight` of a member does not enter (use weighted-round-robin for that).
 */
export const weightedLatency: StrategyFactory = (options) => {
  const rand = options.random ?? Math.random;
  return (members) => {
    const weights = members.map(latencyWeight);
    const total = weights.reduce((a, b) => a + b, 0);
    let r = rand() * total;
    for (let i = 0; i < members.length; i++) {
      r -= weights[i]!;
      if (r < 0) return members[i]!;
    }
    return members[members.length - 1]!; // r landed on the very top edge through rounding
  };
};
