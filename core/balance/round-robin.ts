import type { Pick, StrategyFactory, StrategyMember } from '../adapter/strategy.js';
import { firstInListOrder } from './member-order.js';

/**
 * A round-robin cursor over configured positions: the next pick is the alive member with the smallest
 * index after the last one picked, wrapping to the start. A member that drops out is simply skipped,
 * and the order resumes where it was when it comes back.
 */
export function createRoundRobinCursor(): Pick {
  let lastIndex = -1;
  return (members) => {
    let next: StrategyMember | undefined;
    for (const m of members) {
      if (m.index > lastIndex && (next === undefined || m.index < next.index)) next = m;
    }
    next ??= firstInListOrder(members);
    lastIndex = next.index;
    return next;
  };
}

/** Polling in list order (the V2Ray vnext behaviour). */
export const roundRobin: StrategyFactory = () => createRoundRobinCursor();
