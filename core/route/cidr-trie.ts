import type { IpBytes } from './ip-address.js';

/** "No rule": larger than any rule index, so Math.min keeps real hits. */
export const NO_RULE = 0x7fffffff;

/**
 * A binary trie of CIDR ranges, one per address family, answering "the earliest rule whose range holds
 * this address" in at most 32 (IPv4) or 128 (IPv6) steps whatever the number of ranges.
 * Nodes live in parallel arrays: a node is an index, its children and its rule index are array slots.
 */
class BitTrie {
  private readonly zero: number[] = [0];
  private readonly one: number[] = [0];
  private readonly min: number[] = [NO_RULE];

  insert(bytes: Uint8Array, bits: number, rule: number): void {
    let node = 0;
    for (let i = 0; i < bits; i++) {
      const bit = (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
      const next = bit ? this.one : this.zero;
      let child = next[node]!;
      if (child === 0) {
        child = this.min.length;
        this.zero.push(0);
        this.one.push(0);
        this.min.push(NO_RULE);
        next[node] = child;
      }
      node = child;
    }
    if (rule < this.min[node]!) this.min[node] = rule;
  }

  /** The smallest rule index on the path from the root to the address. */
  lookup(bytes: Uint8Array): number {
    let node = 0;
    let best = this.min[0]!;
    const total = bytes.length * 8;
    for (let i = 0; i < total; i++) {
      const bit = (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
      node = bit ? this.one[node]! : this.zero[node]!;
      if (node === 0) break;
      const m = this.min[node]!;
      if (m < best) best = m;
    }
    return best;
  }

  get empty(): boolean {
    return this.min.length === 1 && this.min[0] === NO_RULE;
  }
}

export class CidrTrie {
  private readonly v4 = new BitTrie();
  private readonly v6 = new BitTrie();

  insert(base: IpBytes, bits: number, rule: number): void {
    (base.v6 ? this.v6 : this.v4).insert(base.bytes, bits, rule);
  }

  lookup(ip: IpBytes): number {
    return (ip.v6 ? this.v6 : this.v4).lookup(ip.bytes);
  }

  get empty(): boolean {
    return this.v4.empty && this.v6.empty;
  }
}
