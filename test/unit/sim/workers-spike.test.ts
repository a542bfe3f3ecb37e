import { runCell } from '../../../src/sim/study';

/**
 * adaptive-timeout's levelled high watermarks (docs/policies.md): a single 2 s burst leaves a
 * backlog that drains by itself, and its queries report their wait for a few windows after it;
 * with one bar and overloadWindows alone that cut a worker in most runs. An overload that lasts
 * is still cut.
 */
describe('adaptive-timeout on its defaults: a single short spike is not an overload', () => {
  it.each([1, 2, 3])('deadline-aware workers, spike ×3 for 2 s, seed %i: no action', (seed) => {
    const r = runCell({ family: 'overloaded-workers-deadline', variant: 'deadline-spike', arm: 'on', seed });
    expect(r.actions).toBe(0);
  });

  it('a step ×2 that lasts is still acted on', () => {
    const r = runCell({ family: 'overloaded-workers-deadline', variant: 'deadline-step-2x', arm: 'on', seed: 1 });
    expect(r.actions).toBeGreaterThan(0);
  });
});
