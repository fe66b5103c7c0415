import { NO_RULE } from './cidr-trie.js';

interface Node {
  children?: Map<string, Node>;
  /** Earliest DOMAIN-SUFFIX rule ending at this label (matches this name and every name below it). */
  suffix: number;
  /** Earliest DOMAIN rule for exactly this name. */
  exact: number;
}

const node = (): Node => ({ suffix: NO_RULE, exact: NO_RULE });

/**
 * DOMAIN and DOMAIN-SUFFIX rules in a trie of reversed labels (com → example → www): one walk down the
 * name's labels finds the earliest matching rule, however many rules there are.
 */
export class DomainTrie {
  private readonly root = node();
  private size = 0;

  add(domain: string, kind: 'suffix' | 'exact', rule: number): void {
    let at = this.root;
    const labels = domain.split('.');
    for (let i = labels.length - 1; i >= 0; i--) {
      const label = labels[i]!;
      at.children ??= new Map();
      let next = at.children.get(label);
      if (!next) at.children.set(label, (next = node()));
      at = next;
    }
    if (rule < at[kind]) at[kind] = rule;
    this.size++;
  }

  /** `host` is already lower-case without a trailing dot. */
  lookup(host: string): number {
    let best = NO_RULE;
    let at: Node | undefined = this.root;
    let end = host.length;
    while (end > 0) {
      const dot = host.lastIndexOf('.', end - 1);
      at = at.children?.get(host.slice(dot + 1, end));
      if (!at) return best;
      if (at.suffix < best) best = at.suffix;
      if (dot < 0) return at.exact < best ? at.exact : best;
      end = dot;
    }
    return best;
  }

  get empty(): boolean {
    return this.size === 0;
  }
}
