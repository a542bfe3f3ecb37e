/**
 * adaptive-timeout's `holdWhileDraining` (docs/policies.md), with and without: on the efficacy
 * study's calm single spike (×3 for 2 s) how many actions, and on its overload steps when the
 * first cut comes and what share of queries is answered in time — on both kinds of worker
 * timeout (src/sim/workers-model.ts). The only difference between the two arms is that key.
 *
 *   npm run bench:hold-while-draining
 *
 * Writes bench/results/hold-while-draining/<ISO time>.json. Pure simulation: the figures do not
 * depend on the machine.
 */
import { runInProcess } from '../src/sim/prepared';
import { figure } from '../src/sim/record';
import { familySpec } from '../src/sim/study';
import { prepareWorkers } from '../src/sim/workers';
import { writeResult } from './lib/results';

const SPIKE_SEEDS = Array.from({ length: 12 }, (_, i) => i + 1);
const STEP_SEEDS = SPIKE_SEEDS.slice(0, 6);
const SPIKES = ['spike', 'deadline-spike'];
const STEPS = ['step-1.5x', 'step-2x', 'step-3x', 'deadline-step-2x', 'deadline-step-3x'];

interface Cell {
  variant: string;
  hold: boolean;
  seed: number;
  /** Interventions and tightenings applied. */
  actions: number;
  /** Seconds after the disturbance's start when the first cut was issued (window end); null: none. */
  firstCutS: number | null;
  goodputRun: number | null;
}

function runOne(variant: string, hold: boolean, seed: number): Cell {
  const v = [familySpec('overloaded-workers'), familySpec('overloaded-workers-deadline')]
    .flatMap((f) => f.variants)
    .find((x) => x.name === variant);
  if (v === undefined) throw new Error(`no workers variant ${variant}`);
  const prep = prepareWorkers({ remediation: true, seed, durationMs: v.durationMs }, v.params);
  const withHold = (p: unknown) => {
    const policy = p as { parameters: Record<string, unknown> };
    return { ...policy, parameters: { ...policy.parameters, holdWhileDraining: hold } };
  };
  const r = runInProcess({ ...prep, loop: { ...prep.loop, policies: prep.loop.policies.map(withHold) } });
  const first = r.commands.find((c) => c.type === 'query_timeout.set');
  return {
    variant,
    hold,
    seed,
    actions: r.executor.filter((e) => e.kind === 'set' || e.kind === 'tighten').length,
    firstCutS: first === undefined ? null : (first.windowEnd - r.disturbance.start) / 1000,
    goodputRun: figure(r, 'goodputRun'),
  };
}

function main(): void {
  const cells: Cell[] = [];
  for (const hold of [false, true]) {
    for (const variant of SPIKES) for (const seed of SPIKE_SEEDS) cells.push(runOne(variant, hold, seed));
    for (const variant of STEPS) for (const seed of STEP_SEEDS) cells.push(runOne(variant, hold, seed));
  }
  const summary = [...SPIKES, ...STEPS].flatMap((variant) =>
    [false, true].map((hold) => {
      const cs = cells.filter((c) => c.variant === variant && c.hold === hold);
      const good = cs.map((c) => c.goodputRun ?? NaN);
      return {
        variant,
        holdWhileDraining: hold,
        seeds: cs.map((c) => c.seed),
        actions: cs.reduce((a, c) => a + c.actions, 0),
        runsWithAction: cs.filter((c) => c.actions > 0).length,
        firstCutS: cs.map((c) => c.firstCutS),
        goodputRunMean: good.reduce((a, b) => a + b, 0) / good.length,
      };
    }),
  );
  for (const s of summary)
    console.log(
      `${s.variant.padEnd(18)} hold ${String(s.holdWhileDraining).padEnd(5)} actions ${String(s.actions).padStart(3)} ` +
        `(${s.runsWithAction}/${s.seeds.length} runs) first cut at +${s.firstCutS.map((x) => x ?? '-').join(',')} s; ` +
        `in time ${s.goodputRunMean.toFixed(2)}%`,
    );
  const file = writeResult('hold-while-draining', { command: 'npm run bench:hold-while-draining', summary, cells });
  console.log(`→ ${file}`);
}

main();
