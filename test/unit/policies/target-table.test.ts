import fc from 'fast-check';
import { commitTargetStep, nextTargetTable, tableOf, workingCopyOf } from '../../../src/policies/target-table';

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

describe('the working copy (the in-place path)', () => {
  it('goes window after window through the tables the pure path builds, and a closed table never changes after', () => {
    fc.assert(
      fc.property(updates, fc.array(fc.tuple(updates, below), { maxLength: 6 }), (before, windows) => {
        let pure = JSON.parse(JSON.stringify(Object.fromEntries(before))) as Record<string, number>;
        const work = workingCopyOf(pure);
        const closed: { table: Record<string, number>; text: string }[] = [];
        for (const [changes, min] of windows) {
          const step = { updated: new Map(changes), forget: min === null ? null : (_t: string, v: number) => v < min };
          pure = nextTargetTable(pure, step.updated, step.forget);
          commitTargetStep(work, step);
          const table = tableOf(work);
          expect(JSON.stringify(table)).toBe(JSON.stringify(pure));
          expect(Object.keys(table)).toEqual(Object.keys(pure));
          closed.push({ table, text: JSON.stringify(table) });
        }
        for (const c of closed) expect(JSON.stringify(c.table)).toBe(c.text);
      }),
    );
  });
});
