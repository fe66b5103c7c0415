/**
 * One line per balancing strategy, as DESIGN.md section 3 states each rule. The list of strategies
 * itself comes from the core (`GET /switchyard/strategies`), so a new one shows up even before it has
 * a line here.
 */
export const STRATEGY_INFO: Record<string, string> = {
  'round-robin': 'Takes alive members in turn, in list order.',
  random: 'Picks an alive member uniformly at random.',
  'weighted-round-robin': 'Takes members in turn in proportion to their weight (smooth, nginx style).',
  'least-connections': 'Picks the member with the fewest open connections; ties go to the first in the list.',
  'weighted-least-connections': 'Picks the lowest open connections ÷ weight.',
  'weighted-latency': 'Random, with weight max(1, 200 − latency ms); unknown latency counts as 100 ms.',
  'least-latency': 'Lowest latency; switches only when another is better by more than the tolerance.',
  'health-score': 'Highest score from latency, recent failures, open connections and measured speed.',
  'consistent-hashing': 'The same destination site always goes through the same member while it is alive.',
  'sticky-sessions': 'The same client and destination stay on one member for 10 minutes.',
  failover: 'Always the first alive member in list order.',
  select: 'The member you choose; nothing else.',
};

/** What each group type means for its strategy. */
export const TYPE_INFO: Record<string, string> = {
  'load-balance': 'Spreads connections with the strategy below.',
  'url-test': 'Uses the fastest member by latency test (least-latency).',
  fallback: 'Uses the first member that is alive (failover).',
  select: 'Uses the member you choose.',
};

export const describeStrategy = (name: string): string => STRATEGY_INFO[name] ?? 'No description for this strategy yet.';
