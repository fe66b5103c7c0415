import type { ConnectionMeta } from '../../../core/adapter/outbound.js';
import type { StrategyMember } from '../../../core/adapter/strategy.js';

export { seededRandom } from '../../helpers/seeded-random.js';

/** Strategy views of members named in list order, with per-member overrides. */
export function members(names: string[], overrides: Record<string, Partial<StrategyMember>> = {}): StrategyMember[] {
  return names.map((name, index) => ({ name, index, weight: 1, activeConnections: 0, failureRate: 0, ...overrides[name] }));
}

export function meta(host = 'example.com', source = '192.0.2.10'): ConnectionMeta {
  return {
    id: 'test',
    network: 'tcp',
    inbound: 'socks5',
    source: { address: source, port: 40000 },
    destination: { host, port: 443 },
    startedAt: 0,
  };
}

/** How many times each name was picked. */
export function tally(picks: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const p of picks) counts[p] = (counts[p] ?? 0) + 1;
  return counts;
}
