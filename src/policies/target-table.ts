/**
 * A per-target policy's table (plain JSON, persisted in snapshots: `{ targets: { [target]: entry } }`)
 * and the two ways a window updates it, from one step function that reads the table and says
 * what changed:
 *
 * - `evaluate`, the pure path of the Policy contract: the next table as a new object, built in
 *   one pass (nextTargetTable). The table has a key per target — a million at a million series —
 *   so this is a million-key object built and one dropped every window.
 * - `draft`, the in-place path (PolicyDraft): the table as a Map of cells the engine owns, each
 *   cell's entry replaced and the forgotten deleted in place (a target's one lookup a window
 *   finds its cell), and a plain table built only when a snapshot is asked for.
 *
 * Both give the same table key for key and in the same order: a Map and an object both keep
 * string keys in insertion order (a forgotten key that comes back goes last), and building the
 * object from the Map puts integer-like keys first, ascending, as any object does. A target is
 * always an own key, even one named `__proto__` or `constructor`: a lookup never reads the
 * prototype chain. Entries are never changed in place, only replaced, so a snapshot may share
 * them with the working copy.
 */
import type { CommandFamily } from '../model/command';
import type { WindowSignal } from '../model/signal';
import type { Policy, PolicyView, Proposal } from './types';

export interface TargetTableState<T> {
  targets: Readonly<Record<string, T>>;
}

/** The table as a window's step sees it: entries as they were before the window, and the ones it replaces. */
export interface TargetAccess<T> {
  get(target: string): T | undefined;
  /** The target's entry after this window (replaced, never changed in place); takes effect when the step has returned. */
  put(target: string, entry: T): void;
}

/** What one window of a per-target policy gives besides its puts: which entries to forget, its proposals. */
export interface TargetStep<T> {
  /** Called for every entry after the puts (null: none forgotten). */
  forget: ((target: string, entry: T) => boolean) | null;
  proposals: Proposal[];
  observed: string[];
}

/** A window's work on the table. */
export type TargetStepFn<T> = (
  table: TargetAccess<T>,
  signals: readonly WindowSignal[],
  eventTime: number,
  view: PolicyView,
) => TargetStep<T>;

/** A working copy's cell: replacing the entry of a known target costs no second lookup in a million-key table. */
interface Slot<T> {
  entry: T;
}

/** The in-place path's table: target → its cell, in the plain table's key order (integer-like keys apart). */
export type WorkingTable<T> = Map<string, Slot<T>>;

/**
 * The built-in policies' forgetting: an entry whose last counted window ended more than `windows`
 * windows before `eventTime`, with no lease of `family` on its target, is dropped. The window
 * length is the engine's when it gives one (the same horizon however the finals were split),
 * else the longest the policy saw; none known: nothing is forgotten.
 */
export function forgetIdle<T extends { streak: { lastWindowEnd: number } }>(
  view: PolicyView,
  eventTime: number,
  seenWindowMs: number,
  windows: number,
  family: CommandFamily,
): TargetStep<T>['forget'] {
  const span = view.windowMs ?? seenWindowMs;
  if (!(span > 0)) return null;
  const horizon = eventTime - windows * span;
  return (target, t) => t.streak.lastWindowEnd < horizon && view.lease(target, family) === null;
}

/** Sets `key` as an own data property, as object spread does (assignment of `__proto__` would set the prototype). */
export function setOwn<T>(out: Record<string, T>, key: string, value: T): void {
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
    if (forget === null || !forget(target, entry)) setOwn(out, target, entry);
  }
  for (const [target, entry] of updated) {
    if (Object.hasOwn(prev, target)) continue;
    if (forget === null || !forget(target, entry)) setOwn(out, target, entry);
  }
  return out;
}

/**
 * A window's puts on a working copy, held until the step has returned (a step that throws leaves
 * the copy as it was), then applied: a put right after the get of its target reuses the cell the
 * get found, the rest (new targets) are set, and the forgotten deleted.
 */
class PendingPuts<T> implements TargetAccess<T> {
  private lastTarget: string | null = null;
  private lastSlot: Slot<T> | undefined = undefined;
  private readonly slots: (Slot<T> | undefined)[] = [];
  private readonly targets: string[] = [];
  private readonly entries: T[] = [];

  constructor(private readonly table: WorkingTable<T>) {}

  get(target: string): T | undefined {
    this.lastTarget = target;
    this.lastSlot = this.table.get(target);
    return this.lastSlot?.entry;
  }

  put(target: string, entry: T): void {
    this.slots.push(target === this.lastTarget ? this.lastSlot : this.table.get(target));
    this.targets.push(target);
    this.entries.push(entry);
  }

  commit(forget: TargetStep<T>['forget']): void {
    const { table, slots, targets, entries } = this;
    for (let i = 0; i < targets.length; i++) {
      const slot = slots[i];
      if (slot !== undefined) slot.entry = entries[i];
      else table.set(targets[i], { entry: entries[i] }); // a new target goes last (a second put replaces the cell)
    }
    if (forget === null) return;
    // forEach, not for-of: no [key, value] pair allocated per entry; deleting while iterating is defined for a Map.
    table.forEach((slot, target) => {
      if (forget(target, slot.entry)) table.delete(target);
    });
  }
}

const OBJECT_PROTOTYPE = Object.prototype as Readonly<Record<string, unknown>>;

/**
 * `table[target]` when it is an own key, else undefined, in one lookup for the usual target: a
 * value read through the prototype chain is `Object.prototype`'s own (entries never are), and
 * only `__proto__` needs the own-key test (its accessor gives the prototype itself).
 */
function ownEntry<T>(table: Readonly<Record<string, T>>, target: string): T | undefined {
  if (target === '__proto__') return Object.hasOwn(table, target) ? table[target] : undefined;
  const entry = table[target];
  return entry !== undefined && (entry as unknown) === OBJECT_PROTOTYPE[target] ? undefined : entry;
}

/** The plain table of a working copy: a new object, its entries shared (never changed in place). */
export function tableOf<T>(table: WorkingTable<T>): Record<string, T> {
  const out: Record<string, T> = {};
  table.forEach((slot, target) => setOwn(out, target, slot.entry));
  return out;
}

/** A plain table's own entries as a working copy. */
export function workingCopyOf<T>(targets: Readonly<Record<string, T>>): WorkingTable<T> {
  const table: WorkingTable<T> = new Map();
  for (const target of Object.keys(targets)) table.set(target, { entry: targets[target] });
  return table;
}

/**
 * `init`, `evaluate` and `draft` of a per-target policy from its step: the pure path and the
 * in-place path run the same step, so they decide alike by construction and differ only in how
 * the table is kept.
 */
export function perTargetPaths<T>(
  step: TargetStepFn<T>,
): Pick<Policy<TargetTableState<T>, WorkingTable<T>>, 'init' | 'evaluate' | 'draft'> {
  return {
    init: () => ({ targets: {} }),
    evaluate(state, signals, eventTime, view) {
      const prev = state.targets;
      const updated = new Map<string, T>();
      const table: TargetAccess<T> = {
        get: (target) => ownEntry(prev, target),
        put: (target, entry) => void updated.set(target, entry),
      };
      const r = step(table, signals, eventTime, view);
      const targets = nextTargetTable(prev, updated, r.forget);
      return { state: { targets }, proposals: r.proposals, observed: r.observed };
    },
    draft: {
      open: (state) => workingCopyOf(state.targets),
      step(work, signals, eventTime, view) {
        const puts = new PendingPuts(work);
        const r = step(puts, signals, eventTime, view);
        puts.commit(r.forget);
        return { proposals: r.proposals, observed: r.observed };
      },
      close: (work) => ({ targets: tableOf(work) }),
    },
  };
}
