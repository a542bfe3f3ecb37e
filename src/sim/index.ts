/**
 * Closed-loop simulators of the three scenarios, run through the real pipeline
 * (processor → decision engine → executor model) on simulated time. Seeded and
 * deterministic: the same seed gives the same figures and the same command ids.
 */
import { HomeostatError } from '../errors';
import type { Report } from '../report';
import { runHerd } from './herd';
import { scenarioReport, summaryTable } from './report';
import { runTenants } from './tenants';
import { SCENARIOS, type RunOptions, type ScenarioName, type ScenarioResult } from './types';
import { runWorkers } from './workers';

export type { Figure, Interval, LoopSummary, RunOptions, ScenarioName, ScenarioResult, SimSeries } from './types';
export { SCENARIOS } from './types';
export type { ExecutorEvent, ExecutorEventKind, Actuator, ExecutorModel } from './executor';
export { createExecutorModel } from './executor';
export { createLoop } from './loop';
export type { Loop, LoopConfig } from './loop';
export { figure } from './record';
export { scenarioReport, summaryTable, comparisonTable, HEADLINE } from './report';
export { jainIndex, timeToRecover, countFlaps, quantile, peakToMean } from './stats';
export type { RecoveryRule } from './stats';
export { runWorkers, WORKERS_DEFAULTS } from './workers';
export { runHerd, HERD_DEFAULTS } from './herd';
export { runTenants, TENANTS_DEFAULTS } from './tenants';
export { MAX_DURATION_MS } from './options';

/** Runs one scenario with remediation off (policies in shadow mode) or on (enforce). */
export function runScenario(name: ScenarioName, opts: RunOptions): ScenarioResult {
  switch (name) {
    case 'overloaded-workers':
      return runWorkers(opts);
    case 'thundering-herd':
      return runHerd(opts);
    case 'noisy-tenant':
      return runTenants(opts);
    default:
      throw new HomeostatError('USAGE', `unknown scenario ${JSON.stringify(name)}; use one of ${SCENARIOS.join(', ')}`, { field: 'scenario' });
  }
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
}

/** Every scenario off and on with one seed, and the report comparing them. */
export function runAllScenarios(opts: RunAllOptions): { results: ScenarioPair[]; report: Report } {
  const names = opts.scenarios ?? SCENARIOS;
  const results = names.map((scenario) => ({
    scenario,
    off: runScenario(scenario, { remediation: false, seed: opts.seed }),
    on: runScenario(scenario, { remediation: true, seed: opts.seed }),
  }));
  return {
    results,
    report: {
      title: 'homeostat — closed-loop simulations',
      generatedFrom: `simulation (seed ${opts.seed}): simulated systems → processor → policies and guardrails → executor model`,
      summary: summaryTable(results),
      sections: results.map((r) => scenarioReport(r.off, r.on)),
    },
  };
}
