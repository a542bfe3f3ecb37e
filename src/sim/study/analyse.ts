/**
 * The efficacy study's method, as pure functions over cell results:
 *
 * 1. Phase one, training seeds: every variant off and at every static point.
 * 2. One static point per family — the one an operator would pick for a service without
 *    knowing the next incident's shape: the highest geometric mean, over the family's
 *    variants, of its headline figure relative to off (so every variant counts alike whatever
 *    its scale). Ratios are aggregated geometrically: a 10× win and a 10× loss cancel, where
 *    an arithmetic mean would let a few huge wins outweigh a catastrophic loss.
 *    Beside it, per variant, the static point best for that variant alone (on the same
 *    training seeds): an upper reference no operator could pick in advance.
 * 3. Phase two: every variant on and static+on (the family's static point with the loop on top,
 *    all seeds), and off, the family's static point and the per-variant reference on the held-out
 *    seeds. Comparisons are on held-out means.
 */
import type { Better } from '../../report';
import type { Arm, CellResult, CellTask } from './run';
import type { FamilySpec, Variant } from './variants';

export interface StudyPlan {
  training: readonly number[];
  heldOut: readonly number[];
  families: readonly FamilySpec[];
}

/** Oriented ratio: above 1 when `a` is better than `b` on a figure where `better` is the direction of improvement. */
export function betterRatio(a: number, b: number, better: Exclude<Better, 'neutral'>): number {
  if (a === b) return 1;
  return better === 'higher' ? a / b : b / a;
}

const key = (t: Pick<CellTask, 'family' | 'variant' | 'arm' | 'seed'>) =>
  `${t.family}\u001f${t.variant}\u001f${t.arm}\u001f${t.seed}`;

/** Cell results indexed by family, variant, arm and seed. */
export class Cells {
  private readonly map = new Map<string, CellResult>();
  constructor(results: readonly CellResult[]) {
    for (const r of results) this.map.set(key(r), r);
  }
  get(family: string, variant: string, arm: Arm, seed: number): CellResult | undefined {
    return this.map.get(key({ family: family as CellTask['family'], variant, arm, seed }));
  }
  /** Values of figure `fig` over `seeds` (missing or null values left out). */
  values(family: string, variant: string, arm: Arm, seeds: readonly number[], fig: string): number[] {
    return seeds
      .map((s) => this.get(family, variant, arm, s)?.figures[fig])
      .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  }
  mean(family: string, variant: string, arm: Arm, seeds: readonly number[], fig: string): number {
    const vs = this.values(family, variant, arm, seeds, fig);
    return vs.length === 0 ? NaN : vs.reduce((a, b) => a + b, 0) / vs.length;
  }
}

export function phaseOneTasks(plan: StudyPlan): CellTask[] {
  return plan.families.flatMap((f) =>
    f.variants.flatMap((v) =>
      plan.training.flatMap((seed) =>
        (['off', ...f.statics.map((s) => `static:${s.name}`)] as Arm[]).map((arm) => ({
          family: f.family,
          variant: v.name,
          arm,
          seed,
        })),
      ),
    ),
  );
}

export interface StaticChoice {
  /** The family's static point (its name). */
  chosen: string;
  /** Geometric mean headline ratio vs off on the training seeds, by static point. */
  scores: Record<string, number>;
  /** Per variant: the static point best for it alone on the training seeds. */
  perVariant: Record<string, string>;
}

export function chooseStatic(spec: FamilySpec, cells: Cells, training: readonly number[]): StaticChoice {
  const h = spec.headline;
  const scores: Record<string, number> = {};
  const perVariant: Record<string, string> = {};
  for (const s of spec.statics) {
    const ratios = spec.variants.map((v) =>
      betterRatio(
        cells.mean(spec.family, v.name, `static:${s.name}`, training, h.key),
        cells.mean(spec.family, v.name, 'off', training, h.key),
        h.better,
      ),
    );
    scores[s.name] = geometricMean(ratios);
  }
  const best = (score: (name: string) => number): string =>
    spec.statics.reduce((b, s) => (score(s.name) > score(b) ? s.name : b), spec.statics[0].name);
  for (const v of spec.variants) {
    const off = cells.mean(spec.family, v.name, 'off', training, h.key);
    perVariant[v.name] = best((name) =>
      betterRatio(cells.mean(spec.family, v.name, `static:${name}`, training, h.key), off, h.better),
    );
  }
  return { chosen: best((name) => scores[name]), scores, perVariant };
}

export function phaseTwoTasks(plan: StudyPlan, choices: Readonly<Record<string, StaticChoice>>): CellTask[] {
  const tasks: CellTask[] = [];
  const seen = new Set<string>();
  const add = (t: CellTask) => {
    if (!seen.has(key(t))) tasks.push(t);
    seen.add(key(t));
  };
  for (const f of plan.families) {
    const c = choices[f.family];
    for (const v of f.variants) {
      for (const seed of [...plan.training, ...plan.heldOut]) {
        add({ family: f.family, variant: v.name, arm: 'on', seed });
        add({ family: f.family, variant: v.name, arm: `static+on:${c.chosen}`, seed });
      }
      for (const seed of plan.heldOut) {
        for (const arm of ['off', `static:${c.chosen}`, `static:${c.perVariant[v.name]}`] as Arm[])
          add({ family: f.family, variant: v.name, arm, seed });
      }
    }
  }
  return tasks;
}

export interface Spread {
  mean: number;
  min: number;
  max: number;
  /** By seed. */
  seeds: Record<string, number | null>;
}

function spread(
  cells: Cells,
  family: string,
  variant: string,
  arm: Arm,
  seeds: readonly number[],
  fig: string,
): Spread {
  const vs = cells.values(family, variant, arm, seeds, fig);
  const bySeed: Record<string, number | null> = {};
  for (const s of seeds) bySeed[s] = cells.get(family, variant, arm, s)?.figures[fig] ?? null;
  return {
    mean: vs.length === 0 ? NaN : vs.reduce((a, b) => a + b, 0) / vs.length,
    min: Math.min(...vs),
    max: Math.max(...vs),
    seeds: bySeed,
  };
}

export interface NoActionCheck {
  /** Tightening actions over every seed's on run. */
  actions: number;
  simulatedMinutes: number;
  actionsPer10Min: number;
  /** By figure: how much worse on is than off (mean over every seed), %; ≤ 0 = no harm. */
  harmPct: Record<string, number>;
  worstHarmPct: number;
}

export interface VariantResult {
  name: string;
  label: string;
  noAction: boolean;
  /** The per-variant static reference (best for this variant alone on the training seeds). */
  hindsightPoint: string;
  /** Held-out seeds, by arm, by figure (staticOn: the family's static point with the loop on top). */
  heldOut: Record<'off' | 'static' | 'hindsight' | 'on' | 'staticOn', Record<string, Spread>>;
  /** Every seed (training and held-out): off, the family's static point, on and static+on. */
  allSeeds: Record<'off' | 'static' | 'on' | 'staticOn', Record<string, Spread>>;
  /** Headline, held-out means: above 1 = on better. */
  ratios: { onVsStatic: number; onVsOff: number; onVsHindsight: number };
  /** Headline, held-out means: above 1 = static+on better than static, than on. */
  staticOnRatios: { vsStatic: number; vsOn: number };
  noActionCheck?: NoActionCheck;
  /** A calm case with the loop on top of the static point: its actions, and harm against the static point alone. */
  staticOnCheck?: NoActionCheck;
}

export interface FamilyResult {
  family: string;
  title: string;
  headline: FamilySpec['headline'];
  figures: readonly string[];
  sweep: { note: string; points: string[] };
  choice: StaticChoice;
  variants: VariantResult[];
  summary: FamilySummary;
  /** The fourth arm, apart: the three arms' summary above is the one the issue's aims are judged on. */
  staticOnSummary: StaticOnTally;
}

/** How static+on came out over a set of variants: against static alone, against on, and the calm cases. */
export interface StaticOnTally {
  variants: number;
  atLeastStatic: number;
  atLeastOn: number;
  vsStatic: MeanAndWorst;
  vsOn: MeanAndWorst;
  /** Calm cases: actions of static+on, harm against static alone. */
  noAction: Tally['noAction'];
}

/** Geometric mean of a ratio over variants, its worst (lowest) value and where. */
export interface MeanAndWorst {
  /** Geometric: the mean of ratios must not let a few large wins hide a loss. */
  mean: number;
  worst: number;
  worstAt: string;
}

/** How a set of variants came out: counts, ratios and the calm cases. */
export interface Tally {
  variants: number;
  onAtLeastStatic: number;
  onAtLeastOff: number;
  onVsStatic: MeanAndWorst;
  onVsOff: MeanAndWorst;
  noAction: { variants: number; actions: number; actionsPer10Min: number; worstHarmPct: number; worstHarmAt: string };
}

export type FamilySummary = Tally;

/** A calm case: the actions of arm `a` over `seeds`, and how much worse it is than arm `base` on the harm figures. */
function noActionCheck(
  spec: FamilySpec,
  v: Variant,
  cells: Cells,
  seeds: readonly number[],
  a: Arm = 'on',
  base: Arm = 'off',
): NoActionCheck {
  const runs = seeds.map((s) => cells.get(spec.family, v.name, a, s)).filter((r): r is CellResult => r !== undefined);
  const actions = runs.reduce((a, r) => a + r.actions, 0);
  const simulatedMinutes = runs.reduce((a, r) => a + r.simulatedMs, 0) / 60_000;
  const harmPct: Record<string, number> = {};
  for (const fig of spec.harmFigures) {
    const better = fig === spec.headline.key ? spec.headline.better : (HARM_DIRECTION[fig] ?? 'lower');
    const on = cells.mean(spec.family, v.name, a, seeds, fig);
    const off = cells.mean(spec.family, v.name, base, seeds, fig);
    harmPct[fig] = 100 * (1 / betterRatio(on, off, better) - 1);
  }
  return {
    actions,
    simulatedMinutes,
    actionsPer10Min: simulatedMinutes === 0 ? 0 : (10 * actions) / simulatedMinutes,
    harmPct,
    worstHarmPct: Math.max(...Object.values(harmPct)),
  };
}

/** Direction of the figures a calm case must not worsen (the headline's is the family's). */
const HARM_DIRECTION: Readonly<Record<string, Exclude<Better, 'neutral'>>> = {
  goodputRun: 'higher',
  successShare: 'higher',
  jainRun: 'higher',
  p99Run: 'lower',
  retryAmplification: 'lower',
  peakToMeanRun: 'lower',
  p99Latency: 'lower',
  victimsP99Run: 'lower',
};

function variantResult(
  spec: FamilySpec,
  v: Variant,
  choice: StaticChoice,
  cells: Cells,
  plan: StudyPlan,
): VariantResult {
  const all = [...plan.training, ...plan.heldOut];
  const arms: Record<'off' | 'static' | 'hindsight' | 'on' | 'staticOn', Arm> = {
    off: 'off',
    static: `static:${choice.chosen}`,
    hindsight: `static:${choice.perVariant[v.name]}`,
    on: 'on',
    staticOn: `static+on:${choice.chosen}`,
  };
  const by = (arm: Arm, seeds: readonly number[]) =>
    Object.fromEntries(spec.figures.map((fig) => [fig, spread(cells, spec.family, v.name, arm, seeds, fig)]));
  const heldOut = {
    off: by(arms.off, plan.heldOut),
    static: by(arms.static, plan.heldOut),
    hindsight: by(arms.hindsight, plan.heldOut),
    on: by(arms.on, plan.heldOut),
    staticOn: by(arms.staticOn, plan.heldOut),
  };
  const h = spec.headline;
  const m = (arm: keyof typeof heldOut) => heldOut[arm][h.key].mean;
  return {
    name: v.name,
    label: v.label,
    noAction: v.noAction,
    hindsightPoint: choice.perVariant[v.name],
    heldOut,
    allSeeds: {
      off: by('off', all),
      static: by(arms.static, all),
      on: by('on', all),
      staticOn: by(arms.staticOn, all),
    },
    ratios: {
      onVsStatic: betterRatio(m('on'), m('static'), h.better),
      onVsOff: betterRatio(m('on'), m('off'), h.better),
      onVsHindsight: betterRatio(m('on'), m('hindsight'), h.better),
    },
    staticOnRatios: {
      vsStatic: betterRatio(m('staticOn'), m('static'), h.better),
      vsOn: betterRatio(m('staticOn'), m('on'), h.better),
    },
    ...(v.noAction
      ? {
          noActionCheck: noActionCheck(spec, v, cells, all),
          staticOnCheck: noActionCheck(spec, v, cells, all, arms.staticOn, arms.static),
        }
      : {}),
  };
}

/** Bounds of a ratio before its logarithm: a figure at 0 on one arm gives 0 or ∞, which would swamp every other variant. */
const RATIO_FLOOR = 1e-9;
const RATIO_CEILING = 1e9;

/**
 * Geometric mean of ratios (NaN for none): the mean that treats ×k and ÷k alike, the right
 * one for ratios (Fleming & Wallace, "How not to lie with statistics: the correct way to
 * summarize benchmark results", CACM 1986, https://doi.org/10.1145/5666.5673).
 */
export function geometricMean(ratios: readonly number[]): number {
  if (ratios.length === 0) return NaN;
  const logs = ratios.map((r) => Math.log(Math.min(RATIO_CEILING, Math.max(RATIO_FLOOR, r))));
  return Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length);
}

/** The geometric mean of `pick` over `items` and its lowest value, named by `name`. */
export function meanAndWorst<T>(items: readonly T[], pick: (x: T) => number, name: (x: T) => string): MeanAndWorst {
  const xs = items.map(pick);
  const i = xs.reduce((b, x, k) => (x < xs[b] ? k : b), 0);
  return { mean: geometricMean(xs), worst: xs[i], worstAt: items[i] === undefined ? '' : name(items[i]) };
}

/** The calm cases' checks summed: actions, their rate and the worst harm (and where). */
function calmTally(
  variants: readonly VariantResult[],
  check: (v: VariantResult) => NoActionCheck | undefined,
): Tally['noAction'] {
  const calm = variants.filter((v) => check(v) !== undefined);
  const checks = calm.map((v) => check(v) as NoActionCheck);
  const actions = checks.reduce((a, c) => a + c.actions, 0);
  const minutes = checks.reduce((a, c) => a + c.simulatedMinutes, 0);
  const harmIdx = checks.reduce((b, c, k) => (c.worstHarmPct > checks[b].worstHarmPct ? k : b), 0);
  return {
    variants: calm.length,
    actions,
    actionsPer10Min: minutes === 0 ? 0 : (10 * actions) / minutes,
    worstHarmPct: checks.length === 0 ? 0 : checks[harmIdx].worstHarmPct,
    worstHarmAt: calm[harmIdx]?.name ?? '',
  };
}

export function summarise(variants: readonly VariantResult[]): FamilySummary {
  return {
    variants: variants.length,
    onAtLeastStatic: variants.filter((v) => v.ratios.onVsStatic >= 1).length,
    onAtLeastOff: variants.filter((v) => v.ratios.onVsOff >= 1).length,
    onVsStatic: meanAndWorst(
      variants,
      (v) => v.ratios.onVsStatic,
      (v) => v.name,
    ),
    onVsOff: meanAndWorst(
      variants,
      (v) => v.ratios.onVsOff,
      (v) => v.name,
    ),
    noAction: calmTally(variants, (v) => v.noActionCheck),
  };
}

/** static+on over `items` (variants named by `name`): counts, ratios and its calm cases. */
export function summariseStaticOn<T>(
  items: readonly T[],
  variant: (x: T) => VariantResult,
  name: (x: T) => string,
): Omit<StaticOnTally, 'noAction'> {
  return {
    variants: items.length,
    atLeastStatic: items.filter((x) => variant(x).staticOnRatios.vsStatic >= 1).length,
    atLeastOn: items.filter((x) => variant(x).staticOnRatios.vsOn >= 1).length,
    vsStatic: meanAndWorst(items, (x) => variant(x).staticOnRatios.vsStatic, name),
    vsOn: meanAndWorst(items, (x) => variant(x).staticOnRatios.vsOn, name),
  };
}

export function analyseFamily(spec: FamilySpec, choice: StaticChoice, cells: Cells, plan: StudyPlan): FamilyResult {
  const variants = spec.variants.map((v) => variantResult(spec, v, choice, cells, plan));
  return {
    family: spec.family,
    title: spec.title,
    headline: spec.headline,
    figures: spec.figures,
    sweep: { note: spec.sweepNote, points: spec.statics.map((s) => s.name) },
    choice,
    variants,
    summary: summarise(variants),
    staticOnSummary: {
      ...summariseStaticOn(
        variants,
        (v) => v,
        (v) => v.name,
      ),
      noAction: calmTally(variants, (v) => v.staticOnCheck),
    },
  };
}
