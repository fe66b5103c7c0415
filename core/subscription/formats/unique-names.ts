/**
 * Gives repeated names the suffixes ` 2`, ` 3`... in body order. Linear: each base name remembers the
 * next suffix to try, so 5,000 copies of one name cost 5,000 steps, not 12.5 million.
 */
export function createNameDeduplicator(): (name: string) => string {
  const taken = new Set<string>();
  const nextSuffix = new Map<string, number>();
  return (name) => {
    let unique = name;
    if (taken.has(name)) {
      let n = nextSuffix.get(name) ?? 2;
      while (taken.has(`${name} ${n}`)) n++; // a literal "a 2" earlier in the body is not reused
      nextSuffix.set(name, n + 1);
      unique = `${name} ${n}`;
    }
    taken.add(unique);
    return unique;
  };
}
