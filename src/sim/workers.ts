/**
 * Scenario 1 — overloaded workers. The arrival rate follows a load profile (by default it
 * doubles for 90 s); the slow workers' queues grow and answers start to miss the clients'
 * 2 s deadline. The workers' own timeout equals that deadline (a competent setting: no work
 * for answers nobody waits for); by default it is deadline-aware (counted from arrival), and
 * `timeoutFrom: 'start'` makes it a statement timeout (workers-model.ts). With `adaptive-timeout` each worker's query timeout is
 * cut multiplicatively (per worker, by what its own signals say) to shed the heavy tail.
 * What that is worth against the best fixed timeout: docs/simulation.md, efficacy study.
 *
 * Series keys: `queueMax` (worst worker's mean queue depth per window, processor signal),
 * `p99Max` (worst worker's p99 latency, processor signal), `timeouts` (fleet timeouts/s,
 * processor signal), `goodput`, `offered` (queries/s, ground truth), `goodputRatio`,
 * and `timeout:<worker>` (the timeout in force, step).
 */
import type { Trigger as TriggerThreshold } from '../signals';
import type { Point, Threshold } from '../report';
import { createRandom, deriveSeed } from '../client/random';
import { shuffled } from './dist';
import type { LoopRecord } from './loop';
import { checkRunOptions, durationLimits, type DurationLimits } from './options';
import { runInProcess, type PreparedScenario } from './prepared';
import {
  SIM_PARTITIONS,
  WINDOW_MS,
  simEngineConfig,
  simGuardrails,
  workersPolicy,
  workersPolicyParams,
} from './policies';
import { loopFigures, loopRecord } from './record';
import { SIM_START_MS, meanBetween, ratio, signalSeries, windowed } from './series';
import { quantile, timeToRecover } from './stats';
import type { Figure, RunOptions, ScenarioResult, SimSeries } from './types';
import { createWorkersModel, type WorkersParams } from './workers-model';

export const WORKERS_DEFAULTS: Readonly<WorkersParams & { durationMs: number }> = Object.freeze({
  workers: 8,
  slots: 4,
  speedMin: 0.75,
  speedMax: 1.25,
  costMedianMs: 20,
  costSigma: 1.3,
  baseUtilization: 0.55,
  surgeFactor: 2,
  surgeStartMs: 60_000,
  surgeEndMs: 150_000,
  // The workers' configured timeout equals the clients' deadline: a competent operator never
  // lets a worker go on with a query nobody waits for (a longer one is pure waste).
  defaultTimeoutMs: 2_000,
  timeoutFrom: 'arrival',
  clientDeadlineMs: 2_000,
  durationMs: 240_000,
});

/** Goodput ratio within this fraction of its pre-surge mean counts as recovered. */
export const WORKERS_RECOVERY_TOLERANCE = 0.15;

/** The run lengths this scenario accepts with parameters `p`. */
export function workersDurationLimits(p: Pick<WorkersParams, 'surgeEndMs'> = WORKERS_DEFAULTS): DurationLimits {
  return durationLimits(p.surgeEndMs, WORKERS_DEFAULTS.durationMs);
}

export function runWorkers(opts: RunOptions, params: Partial<WorkersParams> = {}): ScenarioResult {
  return runInProcess(prepareWorkers(opts, params));
}

/** The workers scenario, ready for a driver (src/sim/prepared.ts). */
export function prepareWorkers(opts: RunOptions, params: Partial<WorkersParams> = {}): PreparedScenario {
  const p: WorkersParams = { ...WORKERS_DEFAULTS, ...params };
  const seconds = checkRunOptions(opts, workersDurationLimits(p)) / 1000;
  const start = SIM_START_MS;
  const evenly = Array.from(
    { length: p.workers },
    (_, i) => p.speedMin + ((p.speedMax - p.speedMin) * i) / Math.max(1, p.workers - 1),
  );
  const model = createWorkersModel(p, start, seconds, {
    arrivals: createRandom(deriveSeed(opts.seed, 1)),
    costs: createRandom(deriveSeed(opts.seed, 2)),
    speeds: shuffled(createRandom(deriveSeed(opts.seed, 3)), evenly),
  });
  const timeoutSteps = new Map<string, Point[]>(model.ids.map((id) => [id, [[start, p.defaultTimeoutMs]]]));
  const setTimeoutAt = (id: string, ms: number, now: number): void => {
    const steps = timeoutSteps.get(id);
    if (steps !== undefined && steps[steps.length - 1][1] !== ms) steps.push([now, ms]);
    model.setTimeout(id, ms, now);
  };
  const policy = { parameters: workersPolicyParams() };
  return {
    scenario: 'overloaded-workers',
    loop: {
      engine: simEngineConfig(),
      partitions: SIM_PARTITIONS,
      policies: [workersPolicy()],
      guardrails: simGuardrails(),
      mode: opts.remediation ? 'enforce' : 'shadow',
    },
    actuator: {
      apply: (target, _family, params, _expiresAt, now) =>
        setTimeoutAt(target, params.timeoutMs ?? p.defaultTimeoutMs, now),
      revert: (target, _family, now) => setTimeoutAt(target, p.defaultTimeoutMs, now),
    },
    executor: {
      family: 'query_timeout',
      targets: model.ids,
      bounds: { timeoutMs: [policy.parameters.minTimeoutMs, policy.parameters.maxTimeoutMs] },
    },
    startMs: start,
    seconds,
    advance: (t) => model.advance(t),
    silence: () => model.silence(),
    finish: (loop) => finishWorkers(opts, p, start, seconds, model, timeoutSteps, policy, loop),
  };
}

function finishWorkers(
  opts: RunOptions,
  p: WorkersParams,
  start: number,
  seconds: number,
  model: ReturnType<typeof createWorkersModel>,
  timeoutSteps: Map<string, Point[]>,
  policy: { parameters: { high: Watermarks; low: Watermarks } },
  loop: LoopRecord,
): ScenarioResult {
  const end = start + seconds * 1000;

  const finals = loop.finals();
  const series: Record<string, SimSeries> = {
    queueMax: {
      name: 'queue depth, worst worker (window mean)',
      unit: 'queries',
      points: signalSeries(finals, (s) => s.scope === 'series' && s.metric === 'queue.depth', 'mean', 'max'),
    },
    p99Max: {
      name: 'p99 latency, worst worker',
      unit: 'ms',
      points: signalSeries(finals, (s) => s.scope === 'series' && s.metric === 'query.latency_ms', 'p99', 'max'),
    },
    timeouts: {
      name: 'timeouts, fleet',
      unit: 'queries/s',
      points: signalSeries(finals, (s) => s.scope === 'series' && s.metric === 'query.timeouts', 'ratePerSec', 'sum'),
    },
    goodput: {
      name: 'goodput (answered within the 2 s deadline)',
      unit: 'queries/s',
      points: windowed(model.truth.good, start, WINDOW_MS, 'rate'),
    },
    offered: {
      name: 'offered load',
      unit: 'queries/s',
      points: windowed(model.truth.arrivals, start, WINDOW_MS, 'rate'),
    },
  };
  series.goodputRatio = {
    name: 'goodput / offered',
    unit: '',
    points: ratio(series.goodput.points, series.offered.points),
  };
  for (const id of model.ids)
    series[`timeout:${id}`] = {
      name: `timeout ${id}`,
      unit: 'ms',
      points: [...(timeoutSteps.get(id) ?? []), [end, model.timeoutOf(id)]],
      style: 'step',
    };

  const surge = { start: start + p.surgeStartMs, end: start + p.surgeEndMs, label: `offered load ×${p.surgeFactor}` };
  const figures = workersFigures(model.truth, p, start, surge, series, loop);
  return {
    scenario: 'overloaded-workers',
    title: 'Overloaded workers: adaptive query timeouts',
    remediation: opts.remediation,
    seed: opts.seed,
    startMs: start,
    durationMs: seconds * 1000,
    disturbance: surge,
    figures,
    series,
    thresholds: {
      queueMax: watermarks(policy.parameters.high.queueDepth, policy.parameters.low.queueDepth),
      p99Max: [
        ...watermarks(policy.parameters.high.latencyMs, policy.parameters.low.latencyMs),
        { name: 'client deadline', value: p.clientDeadlineMs },
      ],
    },
    ...loopRecord(loop, end),
  };
}

type Watermarks = { queueDepth: TriggerThreshold | null; latencyMs: TriggerThreshold | null };

/**
 * The policy's watermarks as chart thresholds: a disabled signal has none, and neither has
 * one relative to the target's own baseline (its level moves with the baseline).
 */
function watermarks(high: TriggerThreshold | null, low: TriggerThreshold | null): Threshold[] {
  return [
    ...(typeof high === 'number' ? [{ name: 'high watermark', value: high }] : []),
    ...(typeof low === 'number' ? [{ name: 'low watermark', value: low }] : []),
  ];
}

function workersFigures(
  truth: ReturnType<typeof createWorkersModel>['truth'],
  p: WorkersParams,
  start: number,
  surge: { start: number; end: number },
  series: Record<string, SimSeries>,
  loop: Parameters<typeof loopFigures>[0],
): Figure[] {
  const s0 = Math.round(p.surgeStartMs / 1000);
  const s1 = Math.round(p.surgeEndMs / 1000);
  const sum = (a: Float64Array, from: number, to: number) => a.subarray(from, to).reduce((x, y) => x + y, 0);
  const surgeSec = s1 - s0;
  const goodSurge = sum(truth.good, s0, s1);
  const offeredSurge = sum(truth.arrivals, s0, s1);
  const lat = truth.latency.filter((_, i) => truth.latencyAt[i] >= surge.start && truth.latencyAt[i] < surge.end);
  const allArrivals = sum(truth.arrivals, 0, truth.arrivals.length);
  const baselineRatio = meanBetween(series.goodputRatio.points, start + 10_000, surge.start);
  const ttr = timeToRecover(series.goodputRatio.points, {
    from: surge.start,
    baseline: baselineRatio,
    bad: 'down',
    relative: WORKERS_RECOVERY_TOLERANCE,
    absolute: 0,
  });
  return [
    {
      key: 'goodputSurge',
      label: 'goodput during the surge',
      value: goodSurge / surgeSec,
      unit: 'q/s',
      better: 'higher',
      note: 'queries answered within the client deadline (2 s), per second, over the surge',
    },
    {
      key: 'goodputRatioSurge',
      label: 'share of surge queries answered in time',
      value: (100 * goodSurge) / offeredSurge,
      unit: '%',
      better: 'higher',
    },
    {
      key: 'goodputRun',
      label: 'share of all queries answered in time',
      value: (100 * sum(truth.good, 0, truth.good.length)) / allArrivals,
      unit: '%',
      better: 'higher',
    },
    {
      key: 'p99Surge',
      label: 'p99 latency of completed queries, surge',
      value: quantile(lat, 0.99),
      unit: 'ms',
      better: 'lower',
    },
    {
      key: 'p99Run',
      label: 'p99 latency of completed queries, whole run',
      value: quantile(truth.latency, 0.99),
      unit: 'ms',
      better: 'lower',
    },
    {
      key: 'lateRun',
      label: 'answers after the deadline (wasted work), whole run',
      value: sum(truth.late, 0, truth.late.length),
      unit: '',
      better: 'lower',
    },
    {
      key: 'lateSurge',
      label: 'answers after the deadline (wasted work), surge',
      value: sum(truth.late, s0, s1),
      unit: '',
      better: 'lower',
    },
    {
      key: 'timeoutsSurge',
      label: 'queries timed out (shed), surge',
      value: sum(truth.timeouts, s0, s1),
      unit: '',
      better: 'neutral',
    },
    {
      key: 'timeToRecover',
      label: 'time to recover (goodput share)',
      value: ttr === null ? null : ttr / 1000,
      unit: 's',
      better: 'lower',
      note:
        `from the surge start until the share of queries answered in time is back within ${WORKERS_RECOVERY_TOLERANCE * 100}% of ` +
        `its pre-surge mean and stays there; — = not within the run`,
    },
    ...loopFigures(loop, 20 * WINDOW_MS),
  ];
}
