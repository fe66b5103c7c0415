import type { StrategyFactory, StrategyMember } from '../adapter/strategy.js';
import { lowestScore } from './member-order.js';

/** Fewest open connections through the member; ties go to the earlier one in the list. */
export const leastConnections: StrategyFactory = () => (members) => lowestScore(members, (m) => m.activeConnections);

/**
 * LVS weighted least-connection: lowest active/weight. Compared by cross-multiplication as LVS does
 * (a.active * b.weight < b.active * a.weight), so there is no division and no rounding.
 */
export const weightedLeastConnections: StrategyFactory = () => (members) => {
  let best: StrategyMember = members[0]!;
  for (let i = 1; i < members.length; i++) {
    const m = members[i]!;
    const lhs = m.activeConnections * best.weight;
    const rhs = best.activeConnections * m.weight;
    if (lhs < rhs || (lhs === rhs && m.index < best.index)) best = m;
  }
  return best;
};
