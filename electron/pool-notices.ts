import { hasNoLiveMember, type TrayPool } from './tray-menu.js';

export interface Notice {
  /** Same key, same subject: the limiter lets one through per interval. */
  key: string;
  title: string;
  body: string;
}

/** Pools that follow one member until it dies; a change of `now` there is a failover. */
const FOLLOWS_ONE_MEMBER = new Set(['failover', 'least-latency']);

/**
 * What changed between two reads of the pools that the user should hear about: a failover to another
 * member because the current one died, a pool left with no live member, and its recovery.
 */
export function poolNotices(previous: readonly TrayPool[] | undefined, next: readonly TrayPool[]): Notice[] {
  if (!previous) return [];
  const before = new Map(previous.map((p) => [p.name, p]));
  const notices: Notice[] = [];
  for (const pool of next) {
    const old = before.get(pool.name);
    if (!old) continue;
    const wasDown = hasNoLiveMember(old);
    const isDown = hasNoLiveMember(pool);
    if (!wasDown && isDown) {
      notices.push({ key: `down:${pool.name}`, title: `${pool.name}: no live server`, body: `Every server in ${pool.name} is down; connections through it fail until one answers again.` });
      continue;
    }
    if (wasDown && !isDown) {
      notices.push({ key: `up:${pool.name}`, title: `${pool.name} is back`, body: `${pool.now ?? 'A server'} answers again.` });
      continue;
    }
    if (FOLLOWS_ONE_MEMBER.has(pool.strategy) && old.now && pool.now && old.now !== pool.now) {
      const from = [...pool.members, ...pool.backup].find((m) => m.name === old.now);
      if (from && !from.alive) {
        notices.push({ key: `failover:${pool.name}`, title: `${pool.name}: failover to ${pool.now}`, body: `${old.now} is down; ${pool.name} now uses ${pool.now}.` });
      }
    }
  }
  return notices;
}

/** At most one notice per key per interval, so a flapping server does not flood the desktop. */
export class NoticeLimiter {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  allow(notice: Notice): boolean {
    const t = this.now();
    const previous = this.last.get(notice.key);
    if (previous !== undefined && t - previous < this.intervalMs) return false;
    this.last.set(notice.key, t);
    return true;
  }
}
