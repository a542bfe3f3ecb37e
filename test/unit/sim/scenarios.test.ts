/**
 * The closed loop, end to end on simulated time: these are falsifiable properties of the
 * loop (the simulated systems, the real processor, the real policies and guardrails, the
 * executor model), checked on two seeds — not constants.
 */
import { figure, runScenario, SCENARIOS, type ScenarioName, type ScenarioResult } from '../../../src/sim';
import { HomeostatError } from '../../../src/errors';

const SEEDS = [1, 7];
const runs = new Map<string, ScenarioResult>();
const get = (name: ScenarioName, remediation: boolean, seed: number): ScenarioResult => {
  const key = `${name}/${remediation}/${seed}`;
  let r = runs.get(key);
  if (r === undefined) {
    r = runScenario(name, { remediation, seed });
    runs.set(key, r);
  }
  return r;
};
const f = (r: ScenarioResult, key: string): number => {
  const v = figure(r, key);
  if (v === null) throw new Error(`figure ${key} is null`);
  return v;
};

describe.each(SCENARIOS)('%s: the loop runs through the real code', (name) => {
  it.each([false, true])(
    'remediation %s: every record is accounted for by the processor, windows close, the engine decides',
    (remediation) => {
      const r = get(name, remediation, 1);
      const c = r.loop;
      expect(c.consumed).toBe(c.recordsEmitted);
      expect(c.consumed).toBe(c.aggregated + c.late + c.deadLettered);
      expect(c.late + c.deadLettered).toBe(0); // simulated telemetry is in order and valid
      expect(c.windowsClosed).toBeGreaterThanOrEqual(Math.floor(r.durationMs / 2000) - 2);
      expect(c.finals).toBeGreaterThan(c.windowsClosed);
      expect(c.windowsDecided).toBe(c.windowsClosed);
      expect(r.commands.length).toBeGreaterThan(0);
      for (const cmd of r.commands) {
        expect(cmd.id).toMatch(/^[0-9a-f]{32}$/);
        expect(cmd.mode).toBe(remediation ? 'enforce' : 'shadow');
        expect(cmd.expiresAt).toBeGreaterThan(cmd.issuedAt);
      }
    },
  );

  it('off = shadow: commands are decided but nothing is applied', () => {
    const r = get(name, false, 1);
    expect(r.executor.every((e) => e.kind === 'shadow')).toBe(true);
    expect(f(r, 'commands')).toBe(0);
    expect(f(r, 'shadowCommands')).toBeGreaterThan(0);
    expect(r.leases).toEqual([]);
  });

  it('on: leases are renewed in time (none lapses) and nothing flaps', () => {
    const r = get(name, true, 1);
    expect(f(r, 'lapses')).toBe(0);
    expect(f(r, 'flaps')).toBe(0);
    expect(r.executor.some((e) => e.kind === 'renew')).toBe(true);
    expect(r.leases.length).toBeGreaterThan(0);
  });

  it('is deterministic: the same seed gives identical results and command ids; another seed does not', () => {
    const a = get(name, true, 1);
    const b = runScenario(name, { remediation: true, seed: 1 });
    expect(b.commands.map((c) => c.id)).toEqual(a.commands.map((c) => c.id));
    expect(b).toEqual(a);
    const other = get(name, true, 7);
    expect(other.figures).not.toEqual(a.figures);
  });
});

/** Most targets of one policy under action at the same time, from the executor timeline. */
function maxConcurrent(r: ScenarioResult): number {
  const active = new Set<string>();
  let most = 0;
  for (const e of r.executor) {
    if (e.kind === 'set') active.add(e.target);
    else if (e.kind === 'revert' || e.kind === 'lapse') active.delete(e.target);
    most = Math.max(most, active.size);
  }
  return most;
}

/**
 * On the policies' documented defaults against a competent off (workers' timeout = the
 * clients' deadline, clients on the retry library's defaults), what holds on every seed.
 * The efficacy study (bench/efficacy.ts) measures how much each loop is worth; these are the
 * mechanisms behind its figures.
 */
describe.each(SEEDS)('seed %i: on defaults, against a competent off', (seed) => {
  it('overloaded workers: the default blast radius acts on about one worker at a time, and costs at most a point of goodput', () => {
    const off = get('overloaded-workers', false, seed);
    const on = get('overloaded-workers', true, seed);
    // A competent off already sheds what nobody waits for: no answer arrives after the deadline.
    expect(f(off, 'lateRun')).toBe(0);
    expect(f(on, 'lateRun')).toBe(0);
    // 10% of 8 workers, at least 1: the fleet is helped a worker at a time (the executor may
    // see two at one instant, when a lease it still holds is over in the engine's view).
    expect(maxConcurrent(on)).toBeGreaterThanOrEqual(1);
    expect(maxConcurrent(on)).toBeLessThanOrEqual(2);
    expect(on.decisions.blocked ?? 0).toBeGreaterThan(0);
    expect(f(on, 'goodputRun')).toBeGreaterThan(f(off, 'goodputRun') - 1);
  });

  it('thundering herd: competent clients form no herd; the loop answers the outage before it ends by delaying retries', () => {
    const off = get('thundering-herd', false, seed);
    const on = get('thundering-herd', true, seed);
    expect(f(off, 'peakOverCapacity')).toBeLessThan(2);
    expect(f(off, 'retryAmplification')).toBeLessThan(1.5);
    const set = on.executor.find((e) => e.kind === 'set');
    expect(set?.t).toBeLessThan(on.disturbance.end);
    // Its first levels stretch the backoff and leave the clients' budget alone: the retries of the outage's last
    // seconds land after it (more successes), and no more of them than off's clients send.
    expect(set?.params?.retryBudgetRatio).toBeNull();
    expect(f(on, 'successShare')).toBeGreaterThan(f(off, 'successShare') + 0.5);
    expect(f(on, 'retryAmplification')).toBeLessThan(f(off, 'retryAmplification') + 0.02);
  });

  it('noisy tenant: the others’ p99 stays near its baseline, the burst is throttled once, no flaps', () => {
    const off = get('noisy-tenant', false, seed);
    const on = get('noisy-tenant', true, seed);
    const base = f(on, 'victimsP99Baseline');
    expect(f(off, 'victimsP99Baseline')).toBe(base); // same seed, same world before the burst
    expect(f(off, 'victimsP99Steady')).toBeGreaterThan(20 * base);
    expect(f(on, 'victimsP99Steady')).toBeLessThan(3 * base);
    expect(f(on, 'victimsP99')).toBeLessThan(f(off, 'victimsP99') / 5);
    expect(f(on, 'victimsP99Run')).toBeLessThan(f(off, 'victimsP99Run') / 5);
    expect(f(on, 'timeToRecover')).toBeLessThan(f(off, 'timeToRecover') / 4);
    const sets = on.executor.filter((e) => e.kind === 'set' || e.kind === 'tighten');
    expect(sets.map((e) => e.target)).toEqual(['omega']);
    expect(f(on, 'flaps')).toBe(0);
    // Only the burster pays: its throughput is cut to about its quota, the others keep theirs.
    expect(f(on, 'noisyThroughput')).toBeLessThan(0.6 * f(off, 'noisyThroughput'));
    const jain = f(on, 'jain');
    expect(jain).toBeGreaterThan(0.2);
    expect(jain).toBeLessThanOrEqual(1);
  });
});

describe('run options', () => {
  it('refuses an unknown scenario, a non-integer seed and a too-short run, naming the fix', () => {
    expect(() => runScenario('nope' as ScenarioName, { remediation: true, seed: 1 })).toThrow(HomeostatError);
    expect(() => runScenario('noisy-tenant', { remediation: true, seed: 1.5 })).toThrow(/seed/);
    expect(() => runScenario('thundering-herd', { remediation: true, seed: 1, durationMs: 60_000 })).toThrow(
      /at least 85000 ms/,
    );
  });

  it('a longer run keeps the same story up to where the shorter one ended (same seed)', () => {
    const short = get('thundering-herd', true, 1);
    const long = runScenario('thundering-herd', { remediation: true, seed: 1, durationMs: short.durationMs + 20_000 });
    const cut = (r: ScenarioResult) =>
      r.series.attempts.points.filter(([x]) => x <= short.startMs + short.durationMs - 10_000);
    expect(cut(long)).toEqual(cut(short));
  });
});
