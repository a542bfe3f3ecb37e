import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configIssuesOf } from '../../helpers/thrown';
import { createDecisionEngine, createPolicies, createPolicy, loadPolicyModule } from '../../../src/policies';
import { run, sig } from './fixtures';

describe('policy config', () => {
  it('fills defaults: shadow mode, 10% canary, a 12-hex version', () => {
    const p = createPolicy({ name: 'at', type: 'adaptive-timeout' });
    expect(p.mode).toBe('shadow');
    expect(p.canaryFraction).toBe(0.1);
    expect(p.version).toMatch(/^[0-9a-f]{12}$/);
    expect(p.policy.version).toBe(p.version);
  });

  it('versions are a hash of the effective config: stable, parameter-sensitive, mode-insensitive', () => {
    const v = (o: Record<string, unknown>) => createPolicy({ name: 'q', type: 'watermark-quota', ...o }).version;
    expect(v({})).toBe(v({}));
    expect(v({ parameters: { highWatermark: 0.85 } })).toBe(v({})); // the default spelled out
    expect(v({ parameters: { highWatermark: 0.9 } })).not.toBe(v({}));
    expect(v({ mode: 'enforce', canary: { fraction: 0.5 } })).toBe(v({}));
    expect(v({ guardrails: { cooldownWindows: 5 } })).not.toBe(v({}));
  });

  it('names the key, the value and the fix in every error', () => {
    const issues = configIssuesOf(() =>
      createPolicies([
        { name: 'ok', type: 'adaptive-timeout', parameters: { low: { queueDepth: 60 } } },
        { name: 'Bad Name', type: 'herd-control', parameters: { calm: { retryShare: 0.5 } } },
        { name: 'wq', type: 'watermark-quota', parameters: { lowWatermark: 0.9, bogus: 1 } },
        { name: 'x', type: 'autoscale' },
      ]),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^policies\.0\.parameters\.low\.queueDepth: got 60: low\.queueDepth \(60\) must be below high\.queueDepth \(50\)/,
        ),
        expect.stringMatching(/^policies\.1\.name: got "Bad Name": use 1–63 lowercase/),
        expect.stringMatching(
          /^policies\.1\.parameters\.calm\.retryShare: got 0\.5: calm\.retryShare \(0\.5\) must be below storm\.retryShare/,
        ),
        expect.stringMatching(/^policies\.2\.parameters: unknown key\(s\) 'bogus'/),
        expect.stringMatching(
          /^policies\.3\.type: got "autoscale": use one of adaptive-timeout, herd-control, watermark-quota, module/,
        ),
      ]),
    );
  });

  it('checks cross-field rules of watermark-quota and adaptive-timeout', () => {
    expect(
      configIssuesOf(() =>
        createPolicy({ name: 'w', type: 'watermark-quota', parameters: { targetUtilization: 0.95 } }),
      )[0],
    ).toMatch(/targetUtilization \(0\.95\) must lie between lowWatermark \(0\.7\) and highWatermark \(0\.85\)/);
    expect(
      configIssuesOf(() =>
        createPolicy({ name: 'a', type: 'adaptive-timeout', parameters: { defaultTimeoutMs: 5, minTimeoutMs: 100 } }),
      )[0],
    ).toMatch(/defaultTimeoutMs must lie in \[minTimeoutMs, maxTimeoutMs\]/);
    expect(
      configIssuesOf(() =>
        createPolicy({ name: 'a', type: 'adaptive-timeout', parameters: { high: { inflight: 10 } } }),
      )[0],
    ).toMatch(/high\.inflight and low\.inflight must both be set or both be null/);
  });

  it('validates guardrail overrides against the global section when the engine is built', () => {
    expect(
      configIssuesOf(() => createPolicy({ name: 'a', type: 'adaptive-timeout', guardrails: { global: {} } }))[0],
    ).toMatch(/policy\.guardrails\.global: .*'global' is not a per-policy guardrail/);
    const p = createPolicy({ name: 'a', type: 'adaptive-timeout', guardrails: { blastRadius: { fraction: 2 } } });
    expect(configIssuesOf(() => createDecisionEngine({ policies: [p], signing: null }))[0]).toMatch(
      /^policies\.a\.guardrails\.blastRadius\.fraction: got 2:/,
    );
    expect(
      configIssuesOf(() =>
        createDecisionEngine({
          policies: [],
          guardrails: { lease: { windows: 3, renewBeforeWindows: 3 } },
          signing: null,
        }),
      )[0],
    ).toMatch(
      /guardrails\.lease\.renewBeforeWindows: got 3: renewBeforeWindows \(3\) must be below lease\.windows \(3\)/,
    );
  });

  it('refuses duplicate policy names', () => {
    expect(
      configIssuesOf(() =>
        createPolicies([
          { name: 'a', type: 'adaptive-timeout' },
          { name: 'a', type: 'herd-control' },
        ]),
      ),
    ).toEqual(["policies: name 'a' is used twice; give every policy a distinct name"]);
  });
});

describe('policy modules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-policy-'));
  const write = (name: string, body: string) => {
    const file = join(dir, name);
    writeFileSync(file, body);
    return file;
  };

  it('loads a module that exports createPolicy and runs it through the engine', () => {
    const file = write(
      'always.js',
      `exports.createPolicy = (input) => ({
        name: 'ignored', version: 'v7',
        init: () => ({ n: 0 }),
        evaluate: (state, signals, eventTime) => ({
          state: { n: state.n + 1 },
          proposals: signals.filter((s) => s.metric === input.parameters.metric).map((s) => ({
            target: s.source, type: 'query_timeout.set', kind: 'set', severity: 1, streak: 5,
            params: { timeoutMs: 1234, retryStrategy: null, retryBaseMs: null, retryCapMs: null, retryMaxAttempts: null,
              retryBudgetRatio: null, retryBudgetFloorPerSec: null, quotaBytesPerSec: null, quotaRequestsPerSec: null, extra: {} },
            reason: 'custom', evidence: [], windowStart: s.windowStart, windowEnd: s.windowEnd,
          })),
        }),
      });`,
    );
    const p = createPolicy(
      { name: 'mine', type: 'module', module: file, mode: 'enforce', parameters: { metric: 'm' } },
      { loadModule: (path) => loadPolicyModule(path) },
    );
    expect(p.policy.name).toBe('mine');
    const other = createPolicy(
      { name: 'mine', type: 'module', module: file, parameters: { metric: 'n' } },
      { loadModule: (path) => loadPolicyModule(path) },
    );
    expect(other.version).not.toBe(p.version);
    const engine = createDecisionEngine({ policies: [p], signing: null });
    const last = run(engine, 1, (i) => [sig({ metric: 'm', value: 1, i, source: 's1' })])[0];
    expect(last.commands.map((c) => [c.policy, c.target, c.params.timeoutMs])).toEqual([['mine', 's1', 1234]]);
  });

  it('explains what to export when the module has no factory or a wrong shape', () => {
    const none = write('none.js', 'exports.something = 1;');
    expect(configIssuesOf(() => loadPolicyModule(none))[0]).toMatch(
      /exports no factory; export a function createPolicy/,
    );
    const bad = write('bad.js', 'module.exports = () => ({ name: "x", init: () => null });');
    const issues = configIssuesOf(() => loadPolicyModule(bad)({ name: 'x', parameters: {}, select: {} }));
    expect(issues).toEqual([
      expect.stringMatching(/version must be a non-empty string/),
      expect.stringMatching(/evaluate must be a function/),
    ]);
    expect(configIssuesOf(() => loadPolicyModule(join(dir, 'missing.js')))[0]).toMatch(/cannot be loaded/);
    expect(configIssuesOf(() => createPolicy({ name: 'm', type: 'module', module: bad }))[0]).toMatch(
      /needs a module loader/,
    );
  });
});
