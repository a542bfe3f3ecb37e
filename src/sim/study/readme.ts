/**
 * The README's "See it heal" table, made from the study's recorded result and the seed-1
 * figures of one variant per family (the scenario the demo shows). A test recomputes the
 * seed-1 figures from the code and rebuilds the table from the newest run in bench/results/efficacy/: if
 * either the code or the README changes alone, the two tables differ.
 */
import { formatNumber } from '../../report';
import type { FamilyResult, Spread, StaticOnTally } from './analyse';
import type { StudySummary } from './index';

/** The variant of each family the README shows: the demo's scenario. */
export const README_VARIANTS: Readonly<Record<string, string>> = {
  'overloaded-workers': 'step-2x',
  'overloaded-workers-deadline': 'deadline-step-2x',
  'thundering-herd': 'outage-15s',
  'noisy-tenant': 'burst-5x',
};

export const README_START =
  '<!-- efficacy table: generated from the newest run in bench/results/efficacy/ and seed-1 runs; test/unit/sim/readme-table.test.ts -->';
export const README_END = '<!-- end of efficacy table -->';

/** What the table needs of a recorded study (a subset of StudyResult, as read back from JSON). */
export interface RecordedStudy {
  families: Pick<
    FamilyResult,
    'family' | 'title' | 'headline' | 'choice' | 'variants' | 'summary' | 'staticOnSummary'
  >[];
  summary: Pick<StudySummary, 'noAction'>;
  staticOnSummary: Pick<StaticOnTally, 'noAction'>;
}

/** Seed-1 headline values by family and arm. */
export type SeedOne = Readonly<Record<string, Record<SeedOneArm, number>>>;

/** The arms the table shows (static+on: the static point with the loop on top). */
export type SeedOneArm = 'off' | 'static' | 'on' | 'staticOn';
export const SEED_ONE_ARMS: readonly SeedOneArm[] = ['off', 'static', 'on', 'staticOn'];

const fmt = (v: number, unit: string): string =>
  `${formatNumber(Number(v.toPrecision(4)))}${unit === '' ? '' : unit === '%' ? '%' : ` ${unit}`}`;
const span = (s: Spread, unit: string): string => `${fmt(s.min, unit)}–${fmt(s.max, unit)}`;

export function readmeTable(study: RecordedStudy, seedOne: SeedOne): string {
  const lines = [
    README_START,
    '| loop — variant | figure, whole run | off | best static (one per family) | on (defaults) | static + on |',
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const f of study.families) {
    const v = f.variants.find((x) => x.name === README_VARIANTS[f.family]);
    const one = seedOne[f.family];
    if (v === undefined || one === undefined) continue;
    const h = f.headline;
    const cell = (arm: SeedOneArm) => `${fmt(one[arm], h.unit)} (${span(v.allSeeds[arm][h.key], h.unit)})`;
    lines.push(
      `| ${f.title} — ${v.label} | ${h.label} | ${cell('off')} | ${cell('static')}: ${f.choice.chosen} | ${cell('on')} | ` +
        `${cell('staticOn')} |`,
    );
    const s = f.summary;
    const so = f.staticOnSummary;
    lines.push(
      `| ↳ all ${s.variants} variants (held-out seeds) | on ≥ static in ${s.onAtLeastStatic}, on ≥ off in ${s.onAtLeastOff} | ` +
        `| on ÷ static: mean ${s.onVsStatic.mean.toFixed(3)}×, worst ${s.onVsStatic.worst.toFixed(3)}× | on ÷ off: mean ` +
        `${s.onVsOff.mean.toFixed(3)}×, worst ${s.onVsOff.worst.toFixed(3)}× | ≥ static in ${so.atLeastStatic}, ≥ on in ` +
        `${so.atLeastOn}; ÷ static: mean ${so.vsStatic.mean.toFixed(3)}×, worst ${so.vsStatic.worst.toFixed(3)}× |`,
    );
  }
  const n = study.summary.noAction;
  const c = study.staticOnSummary.noAction;
  lines.push(
    `| no harm: ${n.variants} calm cases (steady, a step within capacity, one short spike, slow growth) | actions; worst ` +
      `change of any whole-run figure vs off (static + on: vs static) | | | ${n.actions} actions (${n.actionsPer10Min.toFixed(2)} ` +
      `per 10 simulated min); worst ${n.worstHarmPct.toFixed(2)}% (${n.worstHarmAt}) | ${c.actions} actions ` +
      `(${c.actionsPer10Min.toFixed(2)} per 10 min); worst ${c.worstHarmPct.toFixed(2)}% (${c.worstHarmAt}) |`,
    README_END,
  );
  return lines.join('\n');
}

/** The table between the markers of a README, or undefined. */
export function tableIn(readme: string): string | undefined {
  const a = readme.indexOf(README_START);
  const b = readme.indexOf(README_END);
  return a < 0 || b < a ? undefined : readme.slice(a, b + README_END.length);
}
