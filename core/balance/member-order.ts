import type { StrategyMember } from '../adapter/strategy.js';

/**
 * The member with the lowest score; equal scores go to the one earlier in the configured list.
 * Members arrive in list order today, but ties compare `index` so no strategy depends on that.
 */
export function lowestScore(members: readonly StrategyMember[], score: (m: StrategyMember) => number): StrategyMember {
  let best = members[0]!;
  let bestScore = score(best);
  for (let i = 1; i < members.length; i++) {
    const m = members[i]!;
    const s = score(m);
    if (s < bestScore || (s === bestScore && m.index < best.index)) {
      best = m;
      bestScore = s;
    }
  }
  return best;
}

/** The member earliest in the configured list. */
export function firstInListOrder(members: readonly StrategyMember[]): StrategyMember {
  return lowestScore(members, (m) => m.index);
}
