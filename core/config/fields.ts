import { z } from 'zod';

/**
 * Field schemas whose messages follow DESIGN.md: `expected an integer 1-65535, got "x"`.
 * The loader prefixes the path (`proxies[2].port: ...`).
 */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

const expected = (what: string) => ({ error: (iss: { input?: unknown }) => `expected ${what}, got ${describe(iss.input)}` });

export const int = (min: number, max: number) =>
  z.number(expected(`an integer ${min}-${max}`)).int(expected(`an integer ${min}-${max}`)).min(min, expected(`an integer ${min}-${max}`)).max(max, expected(`an integer ${min}-${max}`));

export const port = () => int(1, 65535);

export const nonEmptyString = (what = 'a non-empty string') => z.string(expected(what)).min(1, expected(what));

export const bool = () => z.boolean(expected('true or false'));

export const oneOf = <T extends string>(values: readonly [T, ...T[]]) =>
  z.enum(values, expected(`one of ${values.join(', ')}`));

export const stringList = (what = 'a list of strings') => z.array(z.string(expected('a string')), expected(what));

/** Fields every entry of `proxies:` has, whatever its type. Protocol schemas extend this. */
export const baseProxyShape = {
  name: nonEmptyString('a non-empty name'),
  type: nonEmptyString('a proxy type'),
  server: nonEmptyString('a host name or IP address'),
  port: port(),
  /** Our extension: weight for weighted strategies (default 1). */
  weight: int(1, 1000).optional(),
  udp: bool().optional(),
};

export const baseProxySchema = z.object(baseProxyShape);
export type BaseProxyConfig = z.infer<typeof baseProxySchema>;

/** A Clash enum that Clash itself reads case-insensitively (`mode: Rule`); yields the lower-case value. */
export const oneOfIgnoringCase = <T extends string>(values: readonly [T, ...T[]]) => {
  const what = `one of ${values.join(', ')}`;
  return z.string(expected(what)).transform((s, ctx) => {
    const lower = s.toLowerCase() as T;
    if (values.includes(lower)) return lower;
    ctx.issues.push({ code: 'custom', input: s, message: `expected ${what}, got ${describe(s)}` });
    return z.NEVER;
  });
};

const isHttpUrl = (s: string) => {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
};

export const httpUrl = () => z.string(expected('an http(s) URL')).refine(isHttpUrl, expected('an http(s) URL'));
