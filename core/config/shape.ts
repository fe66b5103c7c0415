import type { z } from 'zod';
import { describe } from './fields.js';

export type Mapping = Record<string, unknown>;

export const isMapping = (v: unknown): v is Mapping => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `expected <what>, got a list` — for a section or entry of the wrong YAML kind. */
export const kindMessage = (what: string, found: unknown) => `expected ${what}, got ${describe(found)}`;

interface ZodDefLike {
  type: string;
  shape?: Record<string, unknown>;
  catchall?: unknown;
  in?: { _zod: { def: ZodDefLike } };
  options?: { _zod: { def: ZodDefLike } }[];
  left?: { _zod: { def: ZodDefLike } };
  right?: { _zod: { def: ZodDefLike } };
}

/**
 * The keys an object schema accepts, looking through transforms, unions and intersections; undefined when
 * the schema takes any key (a loose object) or is not an object at all, so nothing is reported as unknown.
 */
export function knownKeys(schema: z.ZodType): Set<string> | undefined {
  return keysOf((schema as unknown as { _zod: { def: ZodDefLike } })._zod.def);
}

function keysOf(def: ZodDefLike): Set<string> | undefined {
  switch (def.type) {
    case 'object':
      if (def.catchall && (def.catchall as { _zod: { def: ZodDefLike } })._zod.def.type !== 'never') return undefined;
      return new Set(Object.keys(def.shape ?? {}));
    case 'pipe':
      return def.in ? keysOf(def.in._zod.def) : undefined;
    case 'union': {
      const all = new Set<string>();
      for (const o of def.options ?? []) {
        const k = keysOf(o._zod.def);
        if (!k) return undefined;
        for (const key of k) all.add(key);
      }
      return all;
    }
    case 'intersection': {
      const l = def.left && keysOf(def.left._zod.def);
      const r = def.right && keysOf(def.right._zod.def);
      return l && r ? new Set([...l, ...r]) : undefined;
    }
    default:
      return undefined;
  }
}

/** Splits a mapping into the keys a schema knows and the rest (kept for export, reported as ignored). */
export function splitKnown(value: Mapping, known: ReadonlySet<string> | readonly string[]): { known: Mapping; unknown: Mapping } {
  const has = (k: string) => (Array.isArray(known) ? known.includes(k) : (known as ReadonlySet<string>).has(k));
  const out = { known: {} as Mapping, unknown: {} as Mapping };
  for (const [k, v] of Object.entries(value)) setOwn(has(k) ? out.known : out.unknown, k, v);
  return out;
}

/** Plain assignment of a YAML key named `__proto__` would replace the prototype; define it as data instead. */
export function setOwn(target: Mapping, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Clash templates leave optional keys empty (`use:`); an empty value means "not set". */
export function dropNulls(value: Mapping): Mapping {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));
}

/** Copies the defined values only, so plain data never carries `key: undefined`. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
