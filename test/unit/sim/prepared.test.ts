/**
 * A prepared scenario is what any driver (in-process, or through Kafka in src/demo) runs:
 * its flush times, and the executor scope an SDK executor is configured from. The scope must
 * let through every command the scenario's policy really issues — an allow-list or a bound
 * that refused one would make the run through Kafka differ from the in-process one.
 */
import { signCommand } from '../../../src/actions';
import { checkCommand } from '../../../src/executor/check';
import type { CommandType } from '../../../src/model/command';
import { flushTimes, prepareScenario, runScenario, SCENARIOS } from '../../../src/sim';
import { testKeyring, testSigningKey } from '../../helpers/keys';

const KEY = testSigningKey('k', 1);

describe.each(SCENARIOS)('%s, prepared', (name) => {
  it('flushes once per simulated second, from start + 1 s to the end', () => {
    const p = prepareScenario(name, { remediation: true, seed: 1 });
    const times = flushTimes(p);
    expect(times).toHaveLength(p.seconds);
    expect(times[0]).toBe(p.startMs + 1000);
    expect(times[times.length - 1]).toBe(p.startMs + p.seconds * 1000);
  });

  it.each([1, 7])(
    'seed %i: the executor scope accepts every command the policy issues (types, targets, bounds)',
    (seed) => {
      const p = prepareScenario(name, { remediation: true, seed });
      const r = runScenario(name, { remediation: true, seed });
      expect(r.commands.length).toBeGreaterThan(0);
      const types = new Set<CommandType>([`${p.executor.family}.set`, `${p.executor.family}.revert`]);
      for (const cmd of r.commands) {
        expect(types.has(cmd.type)).toBe(true);
        expect(p.executor.targets).toContain(cmd.target);
        // The pure gate the SDK runs before it applies anything, at the flush that delivers the command.
        const verdict = checkCommand(signCommand(cmd, KEY), {
          types,
          targets: p.executor.targets,
          keyring: testKeyring(KEY),
          audiences: new Set([p.executor.family]),
          maxLeaseMs: 900_000,
          now: cmd.issuedAt,
          maxClockSkewMs: 0,
          bounds: p.executor.bounds,
          seen: () => undefined,
        });
        expect(verdict).toEqual({ ok: true });
      }
    },
  );
});
