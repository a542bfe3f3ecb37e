/**
 * A policy's per-target table (plain JSON, persisted in snapshots) for the next window, in one
 * pass. The table has a key per target — a million at a million series — so copying it, then
 * overwriting each updated entry, then scanning it again for targets to forget cost three
 * passes and a garbage array per entry every window; this builds the same object, key for key
 * and in the same order, in one.
 */

/** Sets `key` as an own data property, as object spread does (assignment of `__proto__` would set the prototype). */
function define<T>(out: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/**
 * Exactly `{ ...prev }` with every `updated` entry assigned (in its order), then each entry for
 * which `forget(target, entry)` is true deleted (`forget` null: none): the previous keys keep
 * their places, new ones follow in `updated`'s order. `prev` is not changed.
 */
export function nextTargetTable<T>(
  prev: Readonly<Record<string, T>>,
  updated: ReadonlyMap<string, T>,
  forget: ((target: string, entry: T) => boolean) | null,
): Record<string, T> {
  const out: Record<string, T> = {};
  for (const target of Object.keys(prev)) {
    const entry = updated.has(target) ? (updated.get(target) as T) : prev[target];
    if (forget === null || !forget(target, entry)) define(out, target, entry);
  }
  for (const [target, entry] of updated) {
    if (Object.hasOwn(prev, target)) continue;
    // Assigned, as the policies always did: a `__proto__` target is then no key of the table, so never forgotten.
    if (target === '__proto__' || forget === null || !forget(target, entry)) out[target] = entry;
  }
  return out;
}
