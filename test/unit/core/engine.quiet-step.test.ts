/**
 * A step without outputs returns one frozen result per state (engine.ts), not a new object per
 * record: it must name its own state, hold no outputs, and be impossible to change.
 */
import { createEngine } from '../../../src/core';
import { input, rec } from './helpers';

test('quiet steps share a frozen result naming their own state; a step with outputs gets its own', () => {
  const engine = createEngine({
    window: { sizeMs: 1_000, advanceMs: 1_000, graceMs: 0 },
    allowedOutOfOrdernessMs: 0,
    scopes: [],
  });
  const a = engine.init();
  const b = engine.init();
  const ra = engine.step(a, input(rec(0, 0, 100, 1)));
  const rb = engine.step(b, input(rec(0, 0, 100, 2)));
  expect(ra.state).toBe(a);
  expect(rb.state).toBe(b);
  expect(ra.outputs).toEqual([]);
  expect(Object.isFrozen(ra)).toBe(true);
  expect(Object.isFrozen(ra.outputs)).toBe(true);
  expect(engine.step(a, input(rec(0, 1, 200, 3)))).toBe(ra);
  const closing = engine.step(a, input(rec(0, 2, 1_500, 4))); // closes [0, 1000)
  expect(closing).not.toBe(ra);
  expect(closing.outputs.map((o) => (o.kind === 'signal' ? o.signal.sum : NaN))).toEqual([4]);
  expect(ra.outputs).toEqual([]);
});
