/** The engine's per-id columns grow by doubling; each growth copies a column into a larger one. */
type Column = Int32Array | Uint8Array | Float64Array;

/** A copy of `a` with room for `length` elements (the rest zero). */
export function grown<T extends Column>(a: T, length: number): T {
  const out = new (a.constructor as new (n: number) => T)(length);
  out.set(a);
  return out;
}
