/**
 * The efficacy study: every loop against the best static configuration and against off,
 * across scenario families, on held-out seeds (docs/simulation.md, "Worth automating?").
 *
 * `runStudy(plan, runCells)` takes the cell runner as a parameter so that the bench can
 * spread cells over worker threads (bench/efficacy.ts) and a test can run a small plan in
 * process; the result is the same either way (every cell is deterministic).
 */
import {
  analyseFamily,
  chooseStatic,
  Cells,
  meanAndWorst,
  phaseOneTasks,
  phaseTwoTasks,
  summariseStaticOn,
  type FamilyResult,
  type NoActionCheck,
  type StaticOnTally,
  type VariantResult,
  type StaticChoice,
  type StudyPlan,
  type Tally,
} from './analyse';
import type { CellResult, CellTask } from './run';
import { FAMILIES, type FamilySpec } from './variants';

export { runCell, runCellResult, type Arm, type CellResult, type CellTask } from './run';
export {
  FAMILIES,
  familySpec,
  type Family,
  type FamilySpec,
  type Variant,
  type StaticPoint,
  type Headline,
} from './variants';
export {
  betterRatio,
  geometricMean,
  type StudyPlan,
  type FamilyResult,
  type FamilySummary,
  type VariantResult,
  type StaticChoice,
  type Spread,
  type NoActionCheck,
  type StaticOnTally,
} from './analyse';
export { studyReport, studySummaryLines } from './report';
export {
  readmeTable,
  tableIn,
  README_VARIANTS,
  README_START,
  README_END,
  SEED_ONE_ARMS,
  type SeedOne,
  type SeedOneArm,
  type RecordedStudy,
} from './readme';

export const SEEDS = Array.from({ length: 12 }, (_, i) => i + 1);

/** Seeds 1–4 choose the static point, 5–12 judge it (phase one, every static point, is the costly one). */
export const FULL_PLAN: StudyPlan = { training: SEEDS.slice(0, 4), heldOut: SEEDS.slice(4), families: FAMILIES };

/**
 * The quick subset (the test tier, `--quick`): two seeds (one to train, one to judge), in each
 * family its first incident and its steady case.
 */
export const QUICK_PLAN: StudyPlan = {
  training: [1],
  heldOut: [2],
  families: FAMILIES.map((f): FamilySpec => ({
    ...f,
    variants: [f.variants.find((v) => !v.noAction), f.variants.find((v) => v.noAction)].filter(
      (v): v is FamilySpec['variants'][number] => v !== undefined,
    ),
  })),
};

export interface StudyResult {
  plan: { training: readonly number[]; heldOut: readonly number[] };
  families: FamilyResult[];
  summary: StudySummary;
  /** The fourth arm (static point + loop on top), apart from the three arms' summary the aims are judged on. */
  staticOnSummary: StaticOnTally;
  cells: number;
}

export interface StudySummary extends Tally {
  aims: {
    onAtLeastStaticIn90Pct: boolean;
    onAtLeastOffEverywhere: boolean;
    noActionHarmWithin2Pct: boolean;
    noActionAtMostOnePer10Min: boolean;
  };
}

export type CellRunner = (tasks: readonly CellTask[]) => Promise<CellResult[]>;

export async function runStudy(plan: StudyPlan, runCells: CellRunner): Promise<StudyResult> {
  const one = await runCells(phaseOneTasks(plan));
  const cells1 = new Cells(one);
  const choices: Record<string, StaticChoice> = {};
  for (const f of plan.families) choices[f.family] = chooseStatic(f, cells1, plan.training);
  const two = await runCells(phaseTwoTasks(plan, choices));
  const cells = new Cells([...one, ...two]);
  const families = plan.families.map((f) => analyseFamily(f, choices[f.family], cells, plan));
  return {
    plan: { training: plan.training, heldOut: plan.heldOut },
    families,
    summary: studySummary(families),
    staticOnSummary: staticOnSummary(families),
    cells: one.length + two.length,
  };
}

/** Every family's variants, each named family/variant. */
const allVariants = (families: readonly FamilyResult[]) =>
  families.flatMap((f) => f.variants.map((v) => ({ at: `${f.family}/${v.name}`, v })));

/** The families' calm cases summed for one arm: `tally` per family, `check` per variant (for the simulated minutes). */
function studyCalm(
  families: readonly FamilyResult[],
  tally: (f: FamilyResult) => Tally['noAction'],
  check: (v: VariantResult) => NoActionCheck | undefined,
): Tally['noAction'] {
  const calm = families.map((f) => ({ f: f.family, n: tally(f) }));
  const actions = calm.reduce((a, c) => a + c.n.actions, 0);
  const minutes = families.flatMap((f) => f.variants).reduce((a, v) => a + (check(v)?.simulatedMinutes ?? 0), 0);
  const harm = calm.reduce((b, c) => (c.n.worstHarmPct > b.n.worstHarmPct ? c : b), calm[0]);
  return {
    variants: calm.reduce((a, c) => a + c.n.variants, 0),
    actions,
    actionsPer10Min: minutes === 0 ? 0 : (10 * actions) / minutes,
    worstHarmPct: harm?.n.worstHarmPct ?? 0,
    worstHarmAt: harm === undefined ? '' : `${harm.f}/${harm.n.worstHarmAt}`,
  };
}

function studySummary(families: readonly FamilyResult[]): StudySummary {
  const vs = allVariants(families);
  const onAtLeastStatic = vs.filter((x) => x.v.ratios.onVsStatic >= 1).length;
  const onAtLeastOff = vs.filter((x) => x.v.ratios.onVsOff >= 1).length;
  const noAction = studyCalm(
    families,
    (f) => f.summary.noAction,
    (v) => v.noActionCheck,
  );
  return {
    variants: vs.length,
    onAtLeastStatic,
    onAtLeastOff,
    onVsStatic: meanAndWorst(
      vs,
      (x) => x.v.ratios.onVsStatic,
      (x) => x.at,
    ),
    onVsOff: meanAndWorst(
      vs,
      (x) => x.v.ratios.onVsOff,
      (x) => x.at,
    ),
    noAction,
    aims: {
      onAtLeastStaticIn90Pct: onAtLeastStatic >= 0.9 * vs.length,
      onAtLeastOffEverywhere: onAtLeastOff === vs.length,
      noActionHarmWithin2Pct: noAction.worstHarmPct <= 2,
      noActionAtMostOnePer10Min: families.every((f) =>
        f.variants.every((v) => v.noActionCheck === undefined || v.noActionCheck.actionsPer10Min <= 1),
      ),
    },
  };
}

/** static+on over every family's variants; its calm cases as the families counted them. */
function staticOnSummary(families: readonly FamilyResult[]): StaticOnTally {
  return {
    ...summariseStaticOn(
      allVariants(families),
      (x) => x.v,
      (x) => x.at,
    ),
    noAction: studyCalm(
      families,
      (f) => f.staticOnSummary.noAction,
      (v) => v.staticOnCheck,
    ),
  };
}
