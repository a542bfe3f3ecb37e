/**
 * One cell of the efficacy study: a variant, an arm and a seed → the family's figures.
 *
 * - `off`: the system as a competent operator leaves it (its defaults), no homeostat;
 * - `static:<name>`: the same with one fixed setting of the knob the policy would turn;
 * - `on`: the system's defaults and the policy on its documented defaults, in enforce mode,
 *   through the real processor, decision engine and executor model;
 * - `static+on:<name>`: the static setting and the policy on its defaults on top of it — the
 *   deployment an operator runs. The loop's level 0 / restore is the operator's setting by the
 *   policies' own means: herd-control's `initial` is the clients' policy (src/sim/herd.ts), a
 *   reverted quota returns to the static one (as the reference executor restores what was there),
 *   adaptive-timeout reads the worker's timeout gauge and a revert restores its configured timeout.
 *
 * Off and static runs drive the simulated system without a loop (runOpenLoop): with nothing
 * applied a loop in shadow mode would leave the system exactly as it is, at the cost of the
 * processor. Pure and deterministic: a worker thread runs cells by name.
 */
import { HomeostatError } from '../../errors';
import { prepareHerd } from '../herd';
import { runInProcess, runOpenLoop, type PreparedScenario } from '../prepared';
import { figure } from '../record';
import { prepareTenants } from '../tenants';
import type { ScenarioName, ScenarioResult } from '../types';
import { prepareWorkers } from '../workers';
import { familySpec, type Family, type FamilyParams, type FamilySpec, type Variant } from './variants';

export type Arm = 'off' | 'on' | `static:${string}` | `static+on:${string}`;

export interface CellTask {
  family: Family;
  variant: string;
  arm: Arm;
  seed: number;
}

export interface CellResult extends CellTask {
  /** The family's figures (null = not reached within the run, e.g. never recovered). */
  figures: Record<string, number | null>;
  /** Tightening actions applied (interventions started and tightenings; 0 for off and static). */
  actions: number;
  simulatedMs: number;
}

function prepare(
  scenario: ScenarioName,
  params: FamilyParams[Family],
  remediation: boolean,
  seed: number,
  durationMs: number | undefined,
): PreparedScenario {
  const opts = { remediation, seed, durationMs };
  switch (scenario) {
    case 'overloaded-workers':
      return prepareWorkers(opts, params);
    case 'thundering-herd':
      return prepareHerd(opts, params);
    case 'noisy-tenant':
      return prepareTenants(opts, params);
  }
}

export function variantOf(spec: FamilySpec, name: string): Variant {
  const v = spec.variants.find((x) => x.name === name);
  if (v === undefined)
    throw new HomeostatError(
      'USAGE',
      `no variant '${name}' in ${spec.family} (have: ${spec.variants.map((x) => x.name).join(', ')})`,
      { field: 'variant' },
    );
  return v;
}

function staticPoint(spec: FamilySpec, name: string): FamilySpec['statics'][number] {
  const point = spec.statics.find((s) => s.name === name);
  if (point === undefined)
    throw new HomeostatError('USAGE', `no static point '${name}' in ${spec.family}`, { field: 'arm' });
  return point;
}

/** The full scenario result of one cell (for the report and the README test). */
export function runCellResult(task: CellTask): ScenarioResult {
  const spec = familySpec(task.family);
  const v = variantOf(spec, task.variant);
  const run = (params: FamilyParams[Family], remediation: boolean) => {
    const prepared = prepare(spec.scenario, params, remediation, task.seed, v.durationMs);
    return remediation ? runInProcess(prepared) : runOpenLoop(prepared);
  };
  if (task.arm === 'on' || task.arm === 'off') return run(v.params, task.arm === 'on');
  const onTop = task.arm.startsWith('static+on:');
  const point = staticPoint(spec, task.arm.slice(onTop ? 'static+on:'.length : 'static:'.length));
  return run({ ...v.params, ...point.params }, onTop);
}

export function runCell(task: CellTask): CellResult {
  const spec = familySpec(task.family);
  const r = runCellResult(task);
  const figures: Record<string, number | null> = {};
  for (const key of spec.figures) figures[key] = figure(r, key);
  const actions = r.executor.filter((e) => e.kind === 'set' || e.kind === 'tighten').length;
  return { ...task, figures, actions, simulatedMs: r.durationMs };
}
