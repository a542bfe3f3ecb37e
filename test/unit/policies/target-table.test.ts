import fc from 'fast-check';
import { nextTargetTable } from '../../../src/policies/target-table';

/** What the policies did before: copy, assign each update, then delete what is forgotten. */
function copyThenDelete(
  prev: Record<string, number>,
  updated: Map<string, number>,
  forget: ((t: string, v: number) => boolean) | null,
): Record<string, number> {
  const out = { ...prev };
  for (const [t, v] of updated) out[t] = v;
  if (forget) for (const [t, v] of Object.entries(out)) if (forget(t, v)) delete out[t];
  return out;
}

const target = fc.constantFrom('a', 'b', 'w-1', 'w-10', '7', '12', '__proto__', 'constructor', 'toString');

describe('nextTargetTable', () => {
  it('builds what copy-then-delete built, key for key and in the same order, leaving the input alone', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(target, fc.integer({ min: 0, max: 9 })), { maxLength: 8 }),
        fc.array(fc.tuple(target, fc.integer({ min: 0, max: 9 })), { maxLength: 8 }),
        fc.option(fc.integer({ min: 0, max: 9 })),
        (before, updates, below) => {
          // The previous table as a snapshot restores it: from JSON (own `__proto__` keys included).
          const prev = JSON.parse(JSON.stringify(Object.fromEntries(before))) as Record<string, number>;
          const text = JSON.stringify(prev);
          const updated = new Map(updates);
          const forget = below === null ? null : (_t: string, v: number) => v < below;
          const got = nextTargetTable(prev, updated, forget);
          const want = copyThenDelete(prev, updated, forget);
          expect(JSON.stringify(got)).toBe(JSON.stringify(want));
          expect(Object.keys(got)).toEqual(Object.keys(want));
          expect(JSON.stringify(prev)).toBe(text);
        },
      ),
    );
  });
});
