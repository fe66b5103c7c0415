/**
 * A stand-in for an object a beforeAll hook creates, so a test file can name it once at module level
 * (`const { h, store } = useStoredApi()`) and its tests use it as the object itself. Every property read,
 * write and method call goes to the object `current()` returns at that moment; before the hook ran,
 * any use throws, naming `what`.
 */
export function lateBound<T extends object>(what: string, current: () => T | undefined): T {
  const value = (): T => {
    const v = current();
    if (v === undefined) throw new Error(`${what} is used before the beforeAll hook that starts it ran`);
    return v;
  };
  return new Proxy({} as T, {
    get(_stub, key) {
      const v = value();
      const member: unknown = Reflect.get(v, key, v);
      return typeof member === 'function' ? member.bind(v) : member;
    },
    set: (_stub, key, newValue) => Reflect.set(value(), key, newValue),
    has: (_stub, key) => Reflect.has(value(), key),
  });
}
