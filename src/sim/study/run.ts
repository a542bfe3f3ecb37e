/**
 * One cell of the efficacy study: a variant, an arm and a seed → the family's figures.
 *
 * - `off`: the system as a competent operator leaves it (its defaults), no homeostat;
 * - `static:<name>`: the same with one fixed setting of the knob the policy would turn;
 * - `on`: the system's defaults and the policy on its documented defaults, in enforce mode,
 *   through the real processor, decision engine and executor model.
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
import type { ScenarioResult } from '../types';
import { prepareWorkers } from '../workers';
import { familySpec, type Family, type FamilyParams, type FamilySpec, type Variant } from './variants';

export type Arm = 'off' | 'on' | `static:${string}`;

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
  family: Family,
  params: FamilyParams[Family],
  remediation: boolean,
  seed: number,
  durationMs: number | undefined,
): PreparedScenario {
  const opts = { remediation, seed, durationMs };
  switch (family) {
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

/** The full scenario result of one cell (for the report and the README test). */
export function runCellResult(task: CellTask): ScenarioResult {
  const spec = familySpec(task.family);
  const v = variantOf(spec, task.variant);
  if (task.arm === 'on') return runInProcess(prepare(task.family, v.params, true, task.seed, v.durationMs));
  if (task.arm === 'off') return runOpenLoop(prepare(task.family, v.params, false, task.seed, v.durationMs));
  const name = task.arm.slice('static:'.length);
  const point = spec.statics.find((s) => s.name === name);
  if (point === undefined)
    throw new HomeostatError('USAGE', `no static point '${name}' in ${spec.family}`, { field: 'arm' });
  return runOpenLoop(prepare(task.family, { ...v.params, ...point.params }, false, task.seed, v.durationMs));
}

export function runCell(task: CellTask): CellResult {
  const spec = familySpec(task.family);
  const r = runCellResult(task);
  const figures: Record<string, number | null> = {};
  for (const key of spec.figures) figures[key] = figure(r, key);
  const actions = r.executor.filter((e) => e.kind === 'set' || e.kind === 'tighten').length;
  return { ...task, figures, actions, simulatedMs: r.durationMs };
}
