import type { z } from 'zod';
import type { Outbound } from '../adapter/outbound.js';
import type { Logger } from '../logger.js';

export interface ProtocolDeps {
  logger: Logger;
}

/**
 * One protocol as the profile sees it: the Clash `type` it answers to, the schema of its `proxies:`
 * entry, and how to build the runtime outbound from that plain data.
 */
export interface ProtocolDefinition<C extends { name: string; type: string } = any> {
  readonly type: string;
  /** Other Clash spellings of the same type (e.g. `socks5` for `socks`). */
  readonly aliases?: readonly string[];
  readonly schema: z.ZodType<C>;
  create(config: C, deps: ProtocolDeps): Outbound;
}

export class UnknownProtocolError extends Error {
  readonly code = 'UNKNOWN_PROTOCOL';
  constructor(type: string, known: readonly string[]) {
    super(`unknown proxy type ${JSON.stringify(type)}; known types: ${known.join(', ')}`);
  }
}

export class ProtocolRegistry {
  private readonly byType = new Map<string, ProtocolDefinition>();

  register(def: ProtocolDefinition): void {
    for (const t of [def.type, ...(def.aliases ?? [])]) {
      if (this.byType.has(t)) throw new Error(`protocol type ${t} registered twice`);
      this.byType.set(t, def);
    }
  }

  get(type: string): ProtocolDefinition {
    const def = this.byType.get(type);
    if (!def) throw new UnknownProtocolError(type, this.types());
    return def;
  }

  has(type: string): boolean {
    return this.byType.has(type);
  }

  types(): string[] {
    return [...this.byType.keys()].sort();
  }
}
