/**
 * Readers for proxy objects that may not have come from our own parser (a Clash YAML entry written by
 * hand): a wrong-typed field reads as absent instead of crashing the export.
 */
export type Loose = Record<string, unknown>;

export const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;

export const obj = (v: unknown): Loose | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Loose) : undefined;

/** A list of strings, also accepting a single string (Clash allows both in places). */
export function strList(v: unknown): string[] | undefined {
  const items = Array.isArray(v) ? v.map(str).filter((s): s is string => s !== undefined) : str(v) ? [str(v)!] : [];
  return items.length > 0 ? items : undefined;
}

export const isTrue = (v: unknown): boolean => v === true || v === 'true';

/** Drops keys whose value is undefined, so parsed objects deep-equal their re-parsed selves. */
export function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
