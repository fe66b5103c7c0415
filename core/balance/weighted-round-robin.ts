import type { StrategyFactory } from '../adapter/strategy.js';

/**
 * Smooth weighted round-robin as nginx does it: each pick adds every alive member's weight to its
 * running score, takes the highest score and subtracts the total weight from it. Weights 5:1:1 give
 * a a b a c a a — the heavy member is spread out instead of picked five times in a row.
 * Members that are not alive keep their score untouched until they return.
 */
export const weightedRoundRobin: StrategyFactory = () => {
  const current = new Map<string, number>();
  return (members) => {
    let total = 0;
    let best = members[0]!;
    let bestScore = -Infinity;
    for (const m of members) {
      const score = (current.get(m.name) ?? 0) + m.weight;
      current.set(m.name, score);
      total += m.weight;
      if (score > bestScore || (score === bestScore && m.index < best.index)) {
        best = m;
        bestScore = score;
      }
    }
    current.set(best.name, bestScore - total);
    return best;
  };
};
