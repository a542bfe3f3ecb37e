import fc from 'fast-check';
import type { PolicyView } from '../../../src/policies';
import { nextTargetTable, perTargetPaths, type TargetStepFn } from '../../../src/policies/target-table';

/** The table as a list of own [key, value] pairs in key order, then copy-update-delete with own keys only. */
function reference(
  prev: Record<string, number>,
  updated: Map<string, number>,
  forget: ((t: string, v: number) => boolean) | null,
): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (t: string, v: number): void => {
    Object.defineProperty(out, t, { value: v, enumerable: true, writable: true, configurable: true });
  };
  for (const t of Object.keys(prev)) put(t, prev[t]);
  for (const [t, v] of updated) put(t, v);
  if (forget) for (const t of Object.keys(out)) if (forget(t, out[t])) delete out[t];
  return out;
}

const target = fc.constantFrom('a', 'b', 'w-1', 'w-10', '7', '12', '__proto__', 'constructor', 'toString');
const updates = fc.array(fc.tuple(target, fc.integer({ min: 0, max: 9 })), { maxLength: 8 });
const below = fc.option(fc.integer({ min: 0, max: 9 }));

describe('nextTargetTable', () => {
  it('copies, sets every update as an own key and deletes the forgotten, key for key and in order, leaving the input alone', () => {
    fc.assert(
      fc.property(updates, updates, below, (before, changes, min) => {
        // The previous table as a snapshot restores it: from JSON (own `__proto__` keys included).
        const prev = JSON.parse(JSON.stringify(Object.fromEntries(before))) as Record<string, number>;
        const text = JSON.stringify(prev);
        const updated = new Map(changes);
        const forget = min === null ? null : (_t: string, v: number) => v < min;
        const got = nextTargetTable(prev, updated, forget);
        const want = reference(prev, updated, forget);
        expect(JSON.stringify(got)).toBe(JSON.stringify(want));
        expect(Object.keys(got)).toEqual(Object.keys(want));
        expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
        expect(JSON.stringify(prev)).toBe(text);
      }),
    );
  });
});

/** One window's puts: [target, value, read it first?]; a target may come twice, unread, or out of order. */
type Puts = [string, number, boolean][];
const puts = fc.array(fc.tuple(target, fc.integer({ min: 0, max: 9 }), fc.boolean()), { maxLength: 8 });
const view: PolicyView = { lease: () => null, leases: () => [] };

/** A step that does the window's gets and puts as told, and proposes nothing. */
function stepOf(windows: [Puts, number | null][]): TargetStepFn<number> {
  return (table, _signals, eventTime) => {
    const [changes, min] = windows[eventTime];
    for (const [t, v, read] of changes) {
      // What a get reads goes into the put: an entry read through the prototype chain would show.
      const before = read ? table.get(t) : undefined;
      table.put(t, before === undefined ? v : (before * 10 + v) % 100);
    }
    return { forget: min === null ? null : (_t, v) => v < min, proposals: [], observed: [] };
  };
}

describe('the two paths of a per-target policy (perTargetPaths)', () => {
  it('the working copy goes window after window through the tables evaluate builds; a closed table never changes', () => {
    fc.assert(
      fc.property(updates, fc.array(fc.tuple(puts, below), { maxLength: 6 }), (before, windows) => {
        const paths = perTargetPaths(stepOf(windows));
        const draft = paths.draft;
        if (draft === undefined) throw new Error('perTargetPaths gives a draft');
        let pure = { targets: JSON.parse(JSON.stringify(Object.fromEntries(before))) as Record<string, number> };
        const work = draft.open(pure);
        const closed: { table: object; text: string }[] = [];
        for (let w = 0; w < windows.length; w++) {
          pure = paths.evaluate(pure, [], w, view).state;
          draft.step(work, [], w, view);
          const table = draft.close(work);
          expect(JSON.stringify(table)).toBe(JSON.stringify(pure));
          expect(Object.keys(table.targets)).toEqual(Object.keys(pure.targets));
          closed.push({ table, text: JSON.stringify(table) });
        }
        for (const c of closed) expect(JSON.stringify(c.table)).toBe(c.text);
      }),
    );
  });

  it('a step that throws leaves the working copy as it was', () => {
    const paths = perTargetPaths<number>((table) => {
      table.put('a', 1);
      table.get('b');
      table.put('b', 2);
      throw new Error('bad window');
    });
    const draft = paths.draft;
    if (draft === undefined) throw new Error('perTargetPaths gives a draft');
    const work = draft.open({ targets: { b: 7 } });
    expect(() => draft.step(work, [], 0, view)).toThrow('bad window');
    expect(draft.close(work)).toEqual({ targets: { b: 7 } });
  });
});
