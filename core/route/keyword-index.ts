import { NO_RULE } from './cidr-trie.js';

/**
 * DOMAIN-KEYWORD rules as one Aho-Corasick automaton: a single pass over the name finds the earliest
 * rule whose keyword occurs in it, however many keywords there are.
 */
export class KeywordIndex {
  private readonly next: Map<number, number>[] = [new Map()];
  private readonly fail: number[] = [0];
  /** Earliest rule whose keyword ends at this node or at any node on its fail chain (after build). */
  private readonly min: number[] = [NO_RULE];
  private built = true;

  add(keyword: string, rule: number): void {
    let node = 0;
    for (let i = 0; i < keyword.length; i++) {
      const c = keyword.charCodeAt(i);
      let child = this.next[node]!.get(c);
      if (child === undefined) {
        child = this.next.length;
        this.next.push(new Map());
        this.fail.push(0);
        this.min.push(NO_RULE);
        this.next[node]!.set(c, child);
      }
      node = child;
    }
    if (rule < this.min[node]!) this.min[node] = rule;
    this.built = false;
  }

  /** Fail links breadth first; each node's earliest rule folds in its fail target's (a suffix of it). */
  build(): void {
    const queue: number[] = [];
    for (const child of this.next[0]!.values()) queue.push(child);
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head]!;
      for (const [c, child] of this.next[node]!) {
        let f = this.fail[node]!;
        while (f !== 0 && !this.next[f]!.has(c)) f = this.fail[f]!;
        const target = this.next[f]!.get(c);
        this.fail[child] = target !== undefined && target !== child ? target : 0;
        this.min[child] = Math.min(this.min[child]!, this.min[this.fail[child]!]!);
        queue.push(child);
      }
    }
    this.built = true;
  }

  lookup(text: string): number {
    if (!this.built) this.build();
    let best = NO_RULE;
    let node = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      let child = this.next[node]!.get(c);
      while (child === undefined && node !== 0) {
        node = this.fail[node]!;
        child = this.next[node]!.get(c);
      }
      node = child ?? 0;
      const m = this.min[node]!;
      if (m < best) best = m;
    }
    return best;
  }

  get empty(): boolean {
    return this.next.length === 1;
  }
}
