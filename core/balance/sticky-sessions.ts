import type { StrategyFactory } from '../adapter/strategy.js';
import { createRoundRobinCursor } from './round-robin.js';

export const STICKY_TTL_MS = 10 * 60_000;
export const STICKY_MAX_ENTRIES = 4096;

interface Remembered {
  member: string;
  expiresAt: number;
}

/**
 * Same source IP + destination host → same member for 10 minutes, so a site that ties a login to the
 * client address sees one exit. New pairs (and pairs whose member is gone or whose time is up) are
 * spread round-robin and remembered. The memory is an LRU of at most 4096 pairs (a Map kept in
 * use order); the 10 minutes count from when the pair was placed, not from its last use.
 */
export const stickySessions: StrategyFactory = (options) => {
  const now = options.now ?? Date.now;
  const spread = createRoundRobinCursor();
  const remembered = new Map<string, Remembered>();
  return (members, meta) => {
    const key = `${meta.source.address}\n${meta.destination.host.toLowerCase()}`;
    const t = now();
    const entry = remembered.get(key);
    if (entry) {
      remembered.delete(key);
      if (entry.expiresAt > t) {
        const member = members.find((m) => m.name === entry.member);
        if (member) {
          remembered.set(key, entry); // most recently used goes last
          return member;
        }
      }
    }
    const member = spread(members, meta);
    remembered.set(key, { member: member.name, expiresAt: t + STICKY_TTL_MS });
    if (remembered.size > STICKY_MAX_ENTRIES) remembered.delete(remembered.keys().next().value!);
    return member;
  };
};
