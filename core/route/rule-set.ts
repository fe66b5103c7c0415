import { CidrTrie, NO_RULE } from './cidr-trie.js';
import { DomainTrie } from './domain-trie.js';
import { KeywordIndex } from './keyword-index.js';
import { missing, NEED_PROCESS, NEED_RESOLVE, type MatchInput } from './match-input.js';
import type { Rule } from './rules.js';

/** One step of matching: the earliest matching rule (or NO_RULE), or the data to fetch before deciding. */
export type Step = { index: number; need?: undefined } | { need: number; index?: undefined };

/** Fetches what `need` (NEED_* bits) names into the input: resolves the name, looks up the process. */
export type Loader = (input: MatchInput, need: number) => Promise<void>;

const PORTS = 65536;

/** tryMatch's answer when a name must be resolved or a process looked up first. */
export const PENDING = Symbol('pending');

/** Per-port earliest rule index, or undefined when no rule of that kind exists. */
function portTable(rules: readonly Rule[], side: 'dst' | 'src'): Int32Array | undefined {
  let table: Int32Array | undefined;
  rules.forEach((r, index) => {
    if (r.key.kind !== 'port' || r.key.side !== side) return;
    table ??= new Int32Array(PORTS).fill(NO_RULE);
    for (const [lo, hi] of r.key.ranges) for (let p = lo; p <= hi; p++) if (index < table[p]!) table[p] = index;
  });
  return table;
}

/**
 * Rules in profile order, indexed so a connection is matched without walking them all:
 * - a reversed-label trie for DOMAIN / DOMAIN-SUFFIX, an Aho-Corasick automaton for DOMAIN-KEYWORD,
 *   binary tries for destination and source CIDRs, per-port tables, and maps for NETWORK and PROCESS-*
 *   give each family's earliest matching rule;
 * - the rest (DOMAIN-REGEX, AND/OR/NOT) are tested in order, but only those ahead of the
 *   best hit so far, so a later indexed rule never beats an earlier linear one, nor the reverse.
 * First match wins across all types, exactly as a linear scan would decide.
 */
export class RuleSet {
  private readonly domains = new DomainTrie();
  private readonly keywords = new KeywordIndex();
  /** Every destination CIDR rule, for IP-literal destinations. */
  private readonly dstAll = new CidrTrie();
  /** Destination CIDR rules without no-resolve, for a name's resolved addresses. */
  private readonly dstResolving = new CidrTrie();
  private readonly src = new CidrTrie();
  private readonly dstPorts: Int32Array | undefined;
  private readonly srcPorts: Int32Array | undefined;
  private readonly network = { tcp: NO_RULE, udp: NO_RULE };
  private readonly processNames = new Map<string, number>();
  private readonly processPaths = new Map<string, number>();
  private firstMatchAll = NO_RULE;
  /** The earliest indexed rule that needs a name resolved, and the earliest that needs the process. */
  private firstResolving = NO_RULE;
  private firstProcess = NO_RULE;
  private anyProcess = false;
  private readonly linear: { index: number; rule: Rule }[] = [];

  constructor(readonly rules: readonly Rule[]) {
    rules.forEach((rule, index) => this.add(rule, index));
    this.keywords.build();
    this.dstPorts = portTable(rules, 'dst');
    this.srcPorts = portTable(rules, 'src');
  }

  private add(rule: Rule, index: number): void {
    const key = rule.key;
    if (rule.needs & NEED_PROCESS) this.anyProcess = true;
    // Linear rules say for themselves when they need data (an AND may be false without it).
    if (key.kind === 'cidr' && key.resolve) this.firstResolving = Math.min(this.firstResolving, index);
    if (key.kind === 'process') this.firstProcess = Math.min(this.firstProcess, index);
    switch (key.kind) {
      case 'domain':
        this.domains.add(key.domain, key.exact ? 'exact' : 'suffix', index);
        return;
      case 'keyword':
        this.keywords.add(key.keyword, index);
        return;
      case 'cidr':
        if (key.side === 'src') this.src.insert(key.base, key.bits, index);
        else {
          this.dstAll.insert(key.base, key.bits, index);
          if (key.resolve) this.dstResolving.insert(key.base, key.bits, index);
        }
        return;
      case 'network':
        this.network[key.network] = Math.min(this.network[key.network], index);
        return;
      case 'process': {
        const map = key.field === 'name' ? this.processNames : this.processPaths;
        if (!map.has(key.value)) map.set(key.value, index);
        return;
      }
      case 'match':
        this.firstMatchAll = Math.min(this.firstMatchAll, index);
        return;
      case 'port':
        return; // the port tables are built after
      case 'linear':
        this.linear.push({ index, rule });
    }
  }

  /** Whether any rule may need the client's process (PROCESS-NAME / PROCESS-PATH, also inside AND/OR/NOT). */
  get needsProcess(): boolean {
    return this.anyProcess;
  }

  /** The earliest matching rule among what is known now, or what must be fetched first. */
  step(input: MatchInput): Step {
    const { meta } = input;
    let best = this.firstMatchAll;
    const hit = (n: number | undefined) => {
      if (n !== undefined && n < best) best = n;
    };
    if (input.host !== '') {
      hit(this.domains.lookup(input.host));
      if (!this.keywords.empty) hit(this.keywords.lookup(input.host));
    }
    if (input.dstIp) hit(this.dstAll.lookup(input.dstIp));
    else if (input.resolved) for (const ip of input.resolved) hit(this.dstResolving.lookup(ip));
    if (input.srcIp) hit(this.src.lookup(input.srcIp));
    if (this.dstPorts) hit(this.dstPorts[meta.destination.port]);
    if (this.srcPorts) hit(this.srcPorts[meta.source.port]);
    hit(this.network[meta.network]);
    if (input.process) {
      if (input.processName) hit(this.processNames.get(input.processName));
      if (input.processPath) hit(this.processPaths.get(input.processPath));
    }
    // Data not fetched yet, needed by a rule ahead of the best hit: fetch before deciding.
    let pending = NO_RULE;
    let pendingNeed = 0;
    if (this.firstResolving < best && missing(input, NEED_RESOLVE)) {
      pending = this.firstResolving;
      pendingNeed = NEED_RESOLVE;
    }
    if (this.firstProcess < best && this.firstProcess < pending && missing(input, NEED_PROCESS)) {
      pending = this.firstProcess;
      pendingNeed = NEED_PROCESS;
    }
    const limit = pending < best ? pending : best;
    for (const { index, rule } of this.linear) {
      if (index >= limit) break;
      const v = rule.test(input);
      if (v === true) return { index };
      if (v === undefined) return { need: missing(input, rule.needs) };
    }
    return pending < best ? { need: pendingNeed } : { index: best };
  }

  /** The first matching rule when no data must be fetched for it, else PENDING (then use match()). */
  tryMatch(input: MatchInput): Rule | undefined | typeof PENDING {
    const s = this.step(input);
    if (s.need !== undefined) return PENDING;
    return s.index === NO_RULE ? undefined : this.rules[s.index];
  }

  /** The first matching rule in order, fetching a name's addresses or the process only when a rule reached needs them. */
  async match(input: MatchInput, load: Loader): Promise<Rule | undefined> {
    for (let fetched = 0; ; ) {
      const s = this.step(input);
      if (s.need === undefined) return s.index === NO_RULE ? undefined : this.rules[s.index];
      // A loader always fills what it was asked for (an empty list, null), so each need is fetched once.
      if ((s.need & ~fetched) === 0) throw new Error(`rule matching asked twice for data ${s.need}`);
      fetched |= s.need;
      await load(input, s.need);
    }
  }
}
