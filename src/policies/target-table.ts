/**
 * A per-target policy's table (plain JSON, persisted in snapshots: `{ targets: { [target]: entry } }`)
 * and the two ways a window updates it, from one step function that reads the table and says
 * what changed:
 *
 * - `evaluate`, the pure path of the Policy contract: the next table as a new object, built in
 *   one pass (nextTargetTable). The table has a key per target — a million at a million series —
 *   so this is a million-key object built and one dropped every window.
 * - `draft`, the in-place path (PolicyDraft): the table as a Map the engine owns, its entries
 *   replaced and forgotten in place, and a plain table built only when a snapshot is asked for.
 *
 * Both give the same table key for key and in the same order: a Map and an object both keep
 * string keys in insertion order (a forgotten key that comes back goes last), and building the
 * object from the Map puts integer-like keys first, ascending, as any object does. A target is
 * always an own key, even one named `__proto__` or `constructor`: a lookup never reads the
 * prototype chain. Entries are never changed in place, only replaced, so a snapshot may share
 * them with the working copy.
 */
import type { WindowSignal } from '../model/signal';
import type { Policy, PolicyView, Proposal } from './types';

export interface TargetTableState<T> {
  targets: Readonly<Record<string, T>>;
}

/** One window of a per-target policy: the entries it replaced, which entries to forget, its proposals. */
export interface TargetStep<T> {
  updated: Map<string, T>;
  /** Called for every entry after the update (null: none forgotten). */
  forget: ((target: string, entry: T) => boolean) | null;
  proposals: Proposal[];
  observed: string[];
}

/** A window's work, given how to read the table as it was before the window. */
export type TargetStepFn<T> = (
  lookup: (target: string) => T | undefined,
  signals: readonly WindowSignal[],
  eventTime: number,
  view: PolicyView,
) => TargetStep<T>;

/** Sets `key` as an own data property, as object spread does (assignment of `__proto__` would set the prototype). */
function define<T>(out: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/**
 * `{ ...prev }` with every `updated` entry set (in its order) as an own key, then each entry for
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
    if (forget === null || !forget(target, entry)) define(out, target, entry);
  }
  return out;
}

/** The working copy's update: replaced entries set in place (new keys go last), then the forgotten deleted. */
export function commitTargetStep<T>(table: Map<string, T>, step: Pick<TargetStep<T>, 'updated' | 'forget'>): void {
  for (const [target, entry] of step.updated) table.set(target, entry);
  const forget = step.forget;
  if (forget === null) return;
  // forEach, not for-of: no [key, value] pair allocated per entry; deleting while iterating is defined for a Map.
  table.forEach((entry, target) => {
    if (forget(target, entry)) table.delete(target);
  });
}

/** The plain table of a working copy: a new object, its entries shared (never changed in place). */
export function tableOf<T>(table: ReadonlyMap<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  table.forEach((entry, target) => define(out, target, entry));
  return out;
}

/** A plain table's own entries as a working copy. */
export function workingCopyOf<T>(targets: Readonly<Record<string, T>>): Map<string, T> {
  const table = new Map<string, T>();
  for (const target of Object.keys(targets)) table.set(target, targets[target]);
  return table;
}

/**
 * `init`, `evaluate` and `draft` of a per-target policy from its step: the pure path and the
 * in-place path run the same step, so they decide alike by construction and differ only in how
 * the table is kept.
 */
export function perTargetPaths<T>(
  step: TargetStepFn<T>,
): Pick<Policy<TargetTableState<T>, Map<string, T>>, 'init' | 'evaluate' | 'draft'> {
  return {
    init: () => ({ targets: {} }),
    evaluate(state, signals, eventTime, view) {
      const prev = state.targets;
      const lookup = (target: string): T | undefined => (Object.hasOwn(prev, target) ? prev[target] : undefined);
      const r = step(lookup, signals, eventTime, view);
      const targets = nextTargetTable(prev, r.updated, r.forget);
      return { state: { targets }, proposals: r.proposals, observed: r.observed };
    },
    draft: {
      open: (state) => workingCopyOf(state.targets),
      step(table, signals, eventTime, view) {
        // The step only reads the table; the commit after it cannot throw, so a failed step leaves it as it was.
        const r = step((target) => table.get(target), signals, eventTime, view);
        commitTargetStep(table, r);
        return { proposals: r.proposals, observed: r.observed };
      },
      close: (table) => ({ targets: tableOf(table) }),
    },
  };
}
