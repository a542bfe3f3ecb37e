/**
 * Scenario 2 — thundering herd. The service is down for 15 s; its 200 clients retry with
 * the retry library's defaults (full jitter, 3 attempts, a budget). When it comes back, the
 * retries of requests that failed during the outage arrive on top of the normal load, and
 * rejections cost the service capacity; with naive clients the storm sustains itself.
 * With `herd-control` the storm is seen in the retry share while the outage is still on,
 * and the clients get the policy's level (`retry_policy.set`), escalating while it lasts.
 * What that is worth against the best fixed retry policy: docs/simulation.md, efficacy study.
 *
 * Series keys: `attempts`, `retries`, `errors` (service-wide per second, processor's
 * `service` scope), `retryShare`, `succeeded`, `offered` (logical requests/s, ground
 * truth), `retryLevel` (policy in force, step: 0 = the clients' own).
 */
import { applyRetryPolicyCommand } from '../client/command';
import { DEFAULT_RETRY_POLICY } from '../client/policy';
import { shareLineName, thresholdFloor } from '../policies';
import type { Point } from '../report';
import { createHerdModel, SERVICE, type HerdParams } from './herd-model';
import type { LoopRecord } from './loop';
import { checkRunOptions, durationLimits, type DurationLimits } from './options';
import { runInProcess, type PreparedScenario } from './prepared';
import { SIM_PARTITIONS, WINDOW_MS, herdPolicy, herdPolicyParams, simEngineConfig, simGuardrails } from './policies';
import { loopFigures, loopRecord } from './record';
import { SIM_START_MS, meanBetween, ratio, signalSeries, windowed } from './series';
import { peakToMean, quantile, timeToRecover } from './stats';
import type { Figure, RunOptions, ScenarioResult, SimSeries } from './types';

export const HERD_DEFAULTS: Readonly<HerdParams & { durationMs: number }> = Object.freeze({
  clients: 200,
  requestRatePerClient: 1,
  instances: 4,
  capacityPerSec: 300,
  burstMs: 100,
  // A rejection costs 15% of a served request. A storm sustains itself once rejections eat
  // the whole capacity, i.e. when rejectCost × attempts/s ≥ capacity: naive clients (8
  // attempts × 200 requests/s × 0.15 = 240 < 300) make a herd that decays in ~15–20 s, at
  // 0.2 one that never does; the library's 3 attempts (90) stay far below.
  rejectCost: 0.15,
  successLatencyMs: 20,
  errorLatencyMs: 5,
  outageStartMs: 40_000,
  outageEndMs: 55_000,
  // The clients run the retry library's defaults (src/client/policy.ts: full jitter, base
  // 100 ms, cap 20 s, 3 attempts, Finagle's budget): the AWS SDKs' standard mode, what a
  // competent team ships.
  clientPolicy: DEFAULT_RETRY_POLICY,
  deadlineMs: 30_000,
  durationMs: 150_000,
});

/** Load back within this fraction of its pre-outage mean counts as recovered. */
export const HERD_RECOVERY_TOLERANCE = 0.25;

/** "After the outage" figures look at this long after it ends, ms. */
export const HERD_AFTER_MS = 30_000;

/** The run lengths this scenario accepts with parameters `p`. */
export function herdDurationLimits(p: Pick<HerdParams, 'outageEndMs'> = HERD_DEFAULTS): DurationLimits {
  return durationLimits(p.outageEndMs, HERD_DEFAULTS.durationMs);
}

export function runHerd(opts: RunOptions, params: Partial<HerdParams> = {}): ScenarioResult {
  return runInProcess(prepareHerd(opts, params));
}

/** The herd scenario, ready for a driver (src/sim/prepared.ts). */
export function prepareHerd(opts: RunOptions, params: Partial<HerdParams> = {}): PreparedScenario {
  const p: HerdParams = { ...HERD_DEFAULTS, ...params };
  const seconds = checkRunOptions(opts, herdDurationLimits(p)) / 1000;
  const start = SIM_START_MS;
  const model = createHerdModel(p, start, seconds, opts.seed);
  const levelSteps: Point[] = [[start, 0]];
  const setLevel = (level: number, now: number) => {
    if (levelSteps[levelSteps.length - 1][1] !== level) levelSteps.push([now, level]);
  };
  const limits = herdPolicyParams(p.clientPolicy).limits;
  return {
    scenario: 'thundering-herd',
    loop: {
      engine: simEngineConfig(),
      partitions: SIM_PARTITIONS,
      policies: [herdPolicy(p.clientPolicy)],
      guardrails: simGuardrails(),
      mode: opts.remediation ? 'enforce' : 'shadow',
    },
    actuator: {
      apply(target, _family, params, expiresAt, now) {
        if (target !== SERVICE) return;
        for (const r of model.retriers) applyRetryPolicyCommand(r, { type: 'retry_policy.set', params, expiresAt });
        setLevel(Number(params.extra.level ?? 0), now);
      },
      revert(target, _family, now) {
        if (target !== SERVICE) return;
        for (const r of model.retriers)
          applyRetryPolicyCommand(r, { type: 'retry_policy.revert', params: {}, expiresAt: now });
        setLevel(0, now);
      },
    },
    executor: {
      family: 'retry_policy',
      targets: [SERVICE],
      bounds: {
        retryBaseMs: [1, limits.maxBaseMs],
        retryCapMs: [1, limits.maxCapMs],
        retryMaxAttempts: [1, 10],
        retryBudgetRatio: [0, 1],
      },
    },
    startMs: start,
    seconds,
    advance: (t) => model.advance(t),
    finish: (loop) => finishHerd(opts, p, start, seconds, model, levelSteps, loop),
  };
}

function finishHerd(
  opts: RunOptions,
  p: HerdParams,
  start: number,
  seconds: number,
  model: ReturnType<typeof createHerdModel>,
  levelSteps: Point[],
  loop: LoopRecord,
): ScenarioResult {
  const end = start + seconds * 1000;
  levelSteps.push([end, levelSteps[levelSteps.length - 1][1]]);

  const finals = loop.finals();
  const scoped = (metric: string) =>
    signalSeries(
      finals,
      (s) => s.scope === 'service' && s.metric === metric && s.tags.service === SERVICE,
      'ratePerSec',
      'sum',
    );
  const series: Record<string, SimSeries> = {
    attempts: { name: 'requests at the service (attempts)', unit: '/s', points: scoped('requests') },
    retries: { name: 'of which retries', unit: '/s', points: scoped('retries') },
    errors: { name: 'errors', unit: '/s', points: scoped('errors') },
    succeeded: {
      name: 'logical requests succeeded',
      unit: '/s',
      points: windowed(model.truth.succeeded, start, WINDOW_MS, 'rate'),
    },
    offered: {
      name: 'logical requests started',
      unit: '/s',
      points: windowed(model.truth.started, start, WINDOW_MS, 'rate'),
    },
    retryLevel: {
      name: 'retry policy in force (0 = clients’ own, n = herd-control level n)',
      unit: '',
      points: levelSteps,
      style: 'step',
    },
  };
  series.retryShare = {
    name: 'retries / requests',
    unit: '',
    points: ratio(series.retries.points, series.attempts.points),
  };

  const outage = {
    start: start + p.outageStartMs,
    end: start + p.outageEndMs,
    label: `service outage (${(p.outageEndMs - p.outageStartMs) / 1000} s)`,
  };
  const policy = { parameters: herdPolicyParams(p.clientPolicy) };
  return {
    scenario: 'thundering-herd',
    title: 'Thundering herd: backoff, jitter and retry budgets',
    remediation: opts.remediation,
    seed: opts.seed,
    startMs: start,
    durationMs: seconds * 1000,
    disturbance: outage,
    figures: herdFigures(model.truth, p, start, outage, loop),
    series,
    thresholds: {
      attempts: [{ name: 'capacity', value: p.capacityPerSec }],
      retryShare: [
        // Relative by default: the floor is the line that holds whatever the service's baseline.
        {
          name: shareLineName('storm', policy.parameters.storm.retryShare),
          value: thresholdFloor(policy.parameters.storm.retryShare),
        },
        {
          name: shareLineName('calm', policy.parameters.calm.retryShare),
          value: thresholdFloor(policy.parameters.calm.retryShare),
        },
      ],
    },
    ...loopRecord(loop, end),
  };
}

function herdFigures(
  truth: ReturnType<typeof createHerdModel>['truth'],
  p: HerdParams,
  start: number,
  outage: { start: number; end: number },
  loop: Parameters<typeof loopFigures>[0],
): Figure[] {
  const sum = (a: Float64Array, from = 0, to = a.length) => a.subarray(from, to).reduce((x, y) => x + y, 0);
  const afterEnd = outage.end + HERD_AFTER_MS;
  // Load at the service from ground truth (the processor's view of it is series.attempts).
  const load = windowed(truth.attempts, start, WINDOW_MS, 'rate');
  const after = load.filter(([x]) => x > outage.end && x <= afterEnd).map(([, v]) => v);
  const started = sum(truth.started);
  const baseline = meanBetween(load, start + 10_000, outage.start);
  const ttr = timeToRecover(load, {
    from: outage.end,
    baseline,
    bad: 'up',
    relative: HERD_RECOVERY_TOLERANCE,
    absolute: 0,
  });
  const s0 = Math.round(p.outageEndMs / 1000);
  const s1 = s0 + HERD_AFTER_MS / 1000;
  return [
    {
      key: 'peakToMean',
      label: 'peak-to-mean load after the outage',
      value: Math.max(...after) / baseline,
      unit: '×',
      better: 'lower',
      note:
        `highest window request rate at the service in the ${HERD_AFTER_MS / 1000} s after the outage over its mean before the ` +
        `outage (ground truth)`,
    },
    {
      key: 'peakOverCapacity',
      label: 'that peak ÷ service capacity',
      value: Math.max(...after) / p.capacityPerSec,
      unit: '×',
      better: 'lower',
    },
    {
      key: 'peakToMeanRun',
      label: 'peak-to-mean load, whole run',
      value: peakToMean(load.filter(([x]) => x > start + 10_000).map(([, v]) => v)),
      unit: '×',
      better: 'lower',
      note: 'highest window request rate at the service over its mean, from 10 s after the start to the end (ground truth)',
    },
    {
      key: 'retryAmplification',
      label: 'retry amplification (attempts ÷ logical requests)',
      value: sum(truth.attempts) / started,
      unit: '×',
      better: 'lower',
    },
    {
      key: 'successShare',
      label: 'logical requests that succeeded',
      value: (100 * sum(truth.succeeded)) / started,
      unit: '%',
      better: 'higher',
    },
    {
      key: 'successAfter',
      label: `goodput in the ${HERD_AFTER_MS / 1000} s after the outage`,
      value: sum(truth.succeeded, s0, s1) / (HERD_AFTER_MS / 1000),
      unit: '/s',
      better: 'higher',
    },
    {
      key: 'p99Latency',
      label: 'p99 latency of successful requests',
      value: quantile(truth.latency, 0.99),
      unit: 'ms',
      better: 'lower',
    },
    {
      key: 'gaveUp',
      label: 'requests given up (attempts, budget, deadline)',
      value: sum(truth.gaveUp),
      unit: '',
      better: 'lower',
    },
    {
      key: 'gaveUpBudget',
      label: '… of which stopped by the retry budget',
      value: truth.gaveUpBy.budget,
      unit: '',
      better: 'neutral',
    },
    {
      key: 'timeToRecover',
      label: 'time to recover (service load)',
      value: ttr === null ? null : ttr / 1000,
      unit: 's',
      better: 'lower',
      note:
        `from the end of the outage until the request rate at the service is back within ${HERD_RECOVERY_TOLERANCE * 100}% of ` +
        `its pre-outage mean and stays there; — = not within the run`,
    },
    ...loopFigures(loop, 20 * WINDOW_MS),
  ];
}
