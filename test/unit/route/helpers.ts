import type { ConnectionMeta } from '../../../core/adapter/outbound.js';
import { parseRule } from '../../../core/config/rules.js';
import type { RuleSpec } from '../../../core/route/rules.js';

/** A rule line through the profile loader's own parser, as a profile would give it. */
export function spec(line: string): RuleSpec {
  const parsed = parseRule(line);
  if ('error' in parsed) throw new Error(`${line}: ${parsed.error}`);
  return parsed.rule;
}

export interface MetaInit {
  host: string;
  port?: number;
  src?: string;
  srcPort?: number;
  network?: 'tcp' | 'udp';
  process?: ConnectionMeta['process'];
}

export function meta(init: MetaInit | string): ConnectionMeta {
  const m = typeof init === 'string' ? { host: init } : init;
  return {
    id: 't',
    network: m.network ?? 'tcp',
    inbound: 'socks5',
    source: { address: m.src ?? '127.0.0.1', port: m.srcPort ?? 50000 },
    destination: { host: m.host, port: m.port ?? 443 },
    process: m.process,
    startedAt: 0,
  };
}
