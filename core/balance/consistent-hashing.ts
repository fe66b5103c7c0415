import { createHash } from 'node:crypto';
import { getDomain } from 'tldts';
import type { StrategyFactory } from '../adapter/strategy.js';

/**
 * The site a destination belongs to: its registrable domain (eTLD+1, private suffixes such as
 * github.io counted, so two users' pages are two sites), or the host itself for IPs and bare names.
 */
export function siteOf(host: string): string {
  return getDomain(host, { allowPrivateDomains: true }) ?? host.toLowerCase();
}

/** Two 32-bit words of SHA-1: uniform and stable across restarts and machines. */
function digestWords(text: string): [number, number] {
  const d = createHash('sha1').update(text).digest();
  return [d.readUInt32BE(0), d.readUInt32BE(4)];
}

/** MurmurHash3's 32-bit finalizer: a bijection whose every output bit depends on every input bit. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The rendezvous weight of (site, member) from their digests, mixed rather than hashed again so a pick
 * costs one SHA-1 however many members there are. 53 bits, exact in a JS number.
 */
function rendezvousWeight(site: readonly [number, number], member: readonly [number, number]): number {
  return fmix32(site[0] ^ member[0]) * 2 ** 21 + (fmix32(site[1] ^ member[1]) >>> 11);
}

/**
 * Same site → same member while it lives. Rendezvous (highest-random-weight) hashing: each member
 * scores hash(site, member name) and the highest wins, so when a member dies only the sites it held
 * move, and they come back when it returns. Keyed on names, not positions, so reordering the list
 * moves nothing.
 */
export const consistentHashing: StrategyFactory = () => {
  const memberWords = new Map<string, [number, number]>();
  const wordsOf = (name: string) => {
    let words = memberWords.get(name);
    if (!words) {
      if (memberWords.size >= 4096) memberWords.clear(); // names churn with subscriptions; recomputing is cheap
      memberWords.set(name, (words = digestWords(`member\0${name}`)));
    }
    return words;
  };
  return (members, meta) => {
    const site = digestWords(`site\0${siteOf(meta.destination.host)}`);
    let best = members[0]!;
    let bestWeight = -1;
    for (const m of members) {
      const w = rendezvousWeight(site, wordsOf(m.name));
      if (w > bestWeight || (w === bestWeight && m.index < best.index)) {
        best = m;
        bestWeight = w;
      }
    }
    return best;
  };
};
