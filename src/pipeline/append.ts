/**
 * Appends a list to another without `push(...list)`: a spread passes every element as a
 * call argument, and past some 10⁵ elements (the stack's size decides) the call throws
 * RangeError. Stage two releases a window's finals — one per series — in one list, so at
 * a million series a spread crashed the process on every window.
 */
export function appendAll<T>(to: T[], items: readonly T[]): void {
  for (let i = 0; i < items.length; i++) to.push(items[i]);
}
