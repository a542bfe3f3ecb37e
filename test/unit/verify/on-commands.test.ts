import fc from 'fast-check';
import type { Command } from '../../../src/model/command';
import { createVerifier, type VerifierState } from '../../../src/verify';
import { cmd, depth, end } from './fixtures';

const verifier = createVerifier({ windows: 2, maxPending: 2 });

/** What the decision stage did before onCommands: onCommand for each command in turn. */
function oneByOne(state: VerifierState, cmds: readonly Command[]) {
  const outcomes = [];
  const reverts = [];
  for (const c of cmds) {
    const r = verifier.onCommand(state, c);
    state = r.state;
    outcomes.push(...r.outcomes);
    reverts.push(...r.reverts);
  }
  return { state, outcomes, reverts };
}

const command = fc.record({
  target: fc.constantFrom('a', 'b', 'c'),
  // Windows back: the same command again (same id) once the pending cap has dropped it.
  lag: fc.integer({ min: 0, max: 2 }),
  type: fc.constantFrom('query_timeout.set' as const, 'query_timeout.revert' as const),
  mode: fc.constantFrom('enforce' as const, 'shadow' as const, 'canary' as const),
  timeoutMs: fc.constantFrom(400),
});

describe('Verifier.onCommands', () => {
  it('gives the state, outcomes and reverts of onCommand folded over the commands, windows after windows', () => {
    fc.assert(
      fc.property(fc.array(fc.array(command, { maxLength: 8 }), { minLength: 1, maxLength: 6 }), (windows) => {
        let folded = verifier.init();
        let batched = verifier.init();
        windows.forEach((inputs, i) => {
          const cmds = inputs.map(({ lag, ...c }) => cmd({ ...c, i: Math.max(0, i - lag) }));
          const a = oneByOne(folded, cmds);
          const b = verifier.onCommands(batched, cmds);
          expect(JSON.stringify(b)).toBe(JSON.stringify(a));
          const signals = ['a', 'b', 'c', 'd'].map((w, k) => depth(w, i, 20 + ((k + i) % 3) * 40));
          folded = verifier.onWindow(a.state, signals, end(i)).state;
          batched = verifier.onWindow(b.state, signals, end(i)).state;
        });
      }),
    );
  });

  it('starts a command again that the pending cap dropped earlier in the same batch, as onCommand would', () => {
    const [x, y, z] = ['a', 'b', 'c'].map((target) => cmd({ target, i: 0 }));
    const batch = [x, y, z, x];
    const b = verifier.onCommands(verifier.init(), batch);
    expect(JSON.stringify(b)).toBe(JSON.stringify(oneByOne(verifier.init(), batch)));
    expect(b.state.pending.map((v) => v.target)).toEqual(['c', 'a']);
  });
});
