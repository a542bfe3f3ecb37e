import { requireFleetSizes } from '../../../src/config/fleet-size';

const policy = (extra: Record<string, unknown> = {}) => ({ name: 'p', type: 'adaptive-timeout', ...extra });
const check =
  (c: { mode?: 'shadow' | 'canary' | 'enforce'; guardrails?: Record<string, unknown>; policies: unknown[] }) => () =>
    requireFleetSizes({ guardrails: {}, ...c });

describe('requireFleetSizes', () => {
  it('lets shadow policies count observed targets (they act on nothing)', () => {
    expect(check({ policies: [policy(), policy({ mode: 'shadow' })] })).not.toThrow();
  });

  it('accepts an acting policy with a number or an explicit "observed", set globally or per policy', () => {
    expect(
      check({ guardrails: { blastRadius: { fleetSize: 40 } }, policies: [policy({ mode: 'enforce' })] }),
    ).not.toThrow();
    const perPolicy = policy({ mode: 'canary', guardrails: { blastRadius: { fleetSize: 'observed' } } });
    expect(check({ policies: [perPolicy] })).not.toThrow();
  });

  it('names every acting policy without one, and the override of every mode counts', () => {
    const run = check({ mode: 'canary', policies: [policy(), policy({ name: 'q', mode: 'shadow' })] });
    expect(run).toThrow(
      /policies\.0\.guardrails\.blastRadius\.fleetSize: got nothing: policy p can run in canary mode/,
    );
    expect(run).toThrow(
      /policies\.1\.guardrails\.blastRadius\.fleetSize: got nothing: policy q can run in canary mode/,
    );
  });

  it('counts a shadow policy the control topic may raise to enforce (maxControlMode) as acting', () => {
    expect(check({ policies: [policy({ maxControlMode: 'enforce' })] })).toThrow(/policy p can run in enforce mode/);
    expect(check({ mode: 'shadow', policies: [policy({ maxControlMode: 'enforce' })] })).not.toThrow();
  });

  it('leaves a malformed policy or guardrails section to the modules that validate them', () => {
    expect(
      check({ guardrails: { blastRadius: 'x' }, policies: ['not a policy', policy({ mode: 'bogus' })] }),
    ).not.toThrow();
  });
});
