import type { StrategyFactory, StrategyMember } from '../adapter/strategy.js';

/**
 * Lowest latency with hysteresis (`url-test` groups): keep the current member unless another is faster
 * by more than `tolerance` ms, so two servers a few ms apart do not flip on every probe. Latency is
 * filled in by the probes (Pool.setProbeState); unmeasured members sort last, and while nobody has
 * been measured the first in list order is used.
 */
export const leastLatency: StrategyFactory = (options) => {
  const tolerance = options.tolerance ?? 0;
  let current: string | undefined;
  return (members) => {
    const best = fastest(members);
    const kept = members.find((m) => m.name === current);
    const switchTo =
      kept === undefined || (best.latencyMs !== undefined && (kept.latencyMs === undefined || kept.latencyMs - best.latencyMs > tolerance));
    const picked = switchTo ? best : kept;
    current = picked.name;
    return picked;
  };
};

function fastest(members: readonly StrategyMember[]): StrategyMember {
  let best = members[0]!;
  for (const m of members) {
    const a = m.latencyMs ?? Infinity;
    const b = best.latencyMs ?? Infinity;
    if (a < b || (a === b && m.index < best.index)) best = m;
  }
  return best;
}
