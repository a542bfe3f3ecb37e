/**
 * Closed-loop simulators of the three scenarios, run through the real pipeline
 * (processor → decision engine → executor model) on simulated time. Seeded and
 * deterministic: the same seed gives the same figures and the same command ids.
 */
import { HomeostatError } from '../errors';
import type { Report } from '../report';
import { herdDurationLimits, prepareHerd } from './herd';
import type { DurationLimits } from './options';
import { runInProcess, type PreparedScenario } from './prepared';
import { scenarioReport, summaryTable } from './report';
import { prepareTenants, tenantsDurationLimits } from './tenants';
import { SCENARIOS, type RunOptions, type ScenarioName, type ScenarioResult } from './types';
import { prepareWorkers, workersDurationLimits } from './workers';

export type { Figure, Interval, LoopSummary, RunOptions, ScenarioName, ScenarioResult, SimSeries } from './types';
export { SCENARIOS } from './types';
export type { ExecutorEvent, ExecutorEventKind, Actuator, ExecutorModel } from './executor';
export { createExecutorModel, classifySet } from './executor';
export { createLoop } from './loop';
export type { Loop, LoopConfig, LoopRecord } from './loop';
export { runInProcess, runOpenLoop, flushTimes } from './prepared';
export type { PreparedScenario, ExecutorScope } from './prepared';
export { figure } from './record';
export { scenarioReport, summaryTable, comparisonTable, HEADLINE } from './report';
export { jainIndex, timeToRecover, countFlaps, quantile, peakToMean } from './stats';
export type { RecoveryRule } from './stats';
export { runWorkers, prepareWorkers, WORKERS_DEFAULTS } from './workers';
export { runHerd, prepareHerd, HERD_DEFAULTS } from './herd';
export { runTenants, prepareTenants, TENANTS_DEFAULTS } from './tenants';
export { MAX_DURATION_MS, RECOVERY_SPAN_MS } from './options';
export type { DurationLimits } from './options';

/** The simulated run lengths a scenario accepts (its default parameters). */
export function scenarioDurationLimits(name: ScenarioName): DurationLimits {
  switch (name) {
    case 'overloaded-workers':
      return workersDurationLimits();
    case 'thundering-herd':
      return herdDurationLimits();
    case 'noisy-tenant':
      return tenantsDurationLimits();
    default:
      throw new HomeostatError(
        'USAGE',
        `unknown scenario ${JSON.stringify(name)}; use one of ${SCENARIOS.join(', ')}`,
        { field: 'scenario' },
      );
  }
}

/** A scenario ready for a driver: the in-process loop (runScenario) or src/demo's Kafka lockstep. */
export function prepareScenario(name: ScenarioName, opts: RunOptions): PreparedScenario {
  switch (name) {
    case 'overloaded-workers':
      return prepareWorkers(opts);
    case 'thundering-herd':
      return prepareHerd(opts);
    case 'noisy-tenant':
      return prepareTenants(opts);
    default:
      throw new HomeostatError(
        'USAGE',
        `unknown scenario ${JSON.stringify(name)}; use one of ${SCENARIOS.join(', ')}`,
        { field: 'scenario' },
      );
  }
}

/** Runs one scenario with remediation off (policies in shadow mode) or on (enforce). */
export function runScenario(name: ScenarioName, opts: RunOptions): ScenarioResult {
  return runInProcess(prepareScenario(name, opts));
}

export interface ScenarioPair {
  scenario: ScenarioName;
  off: ScenarioResult;
  on: ScenarioResult;
}

export interface RunAllOptions {
  seed: number;
  /** Only these scenarios (default: all three, in SCENARIOS order). */
  scenarios?: readonly ScenarioName[];
  /** Simulated length of every run, ms (default: each scenario's own). */
  durationMs?: number;
}

/** Every scenario off and on with one seed, and the report comparing them. */
export function runAllScenarios(opts: RunAllOptions): { results: ScenarioPair[]; report: Report } {
  const names = opts.scenarios ?? SCENARIOS;
  const results = names.map((scenario) => ({
    scenario,
    off: runScenario(scenario, { remediation: false, seed: opts.seed, durationMs: opts.durationMs }),
    on: runScenario(scenario, { remediation: true, seed: opts.seed, durationMs: opts.durationMs }),
  }));
  return {
    results,
    report: pairsReport(
      results,
      `simulation (seed ${opts.seed}): simulated systems → processor → policies and guardrails → executor model`,
    ),
  };
}

/** The report comparing off and on runs; `generatedFrom` says how the loop was driven. */
export function pairsReport(results: readonly ScenarioPair[], generatedFrom: string): Report {
  return {
    title: 'homeostat — closed-loop simulations',
    generatedFrom,
    summary: summaryTable(results),
    sections: results.map((r) => scenarioReport(r.off, r.on)),
  };
}
