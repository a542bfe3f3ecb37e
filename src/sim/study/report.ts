/**
 * The efficacy study as a report (src/report model) and as the lines the bench prints.
 *
 * Each family gets a section: a table of its variants (off / the family's static point / on /
 * static + on on the headline figure, held-out means with their range over seeds, the
 * per-variant static reference beside them) and a chart of the four arms across the variants. The report's
 * charts have a time axis only, so the variants are laid out one minute apart and named by
 * the shaded band each sits in.
 */
import {
  OKABE_ITO,
  formatNumber,
  type Chart,
  type Report,
  type Section,
  type Span,
  type Table,
  type TableCell,
} from '../../report';
import { OFF_COLOR, ON_COLOR } from '../report';
import { SIM_START_MS } from '../series';
import type { FamilyResult, MeanAndWorst, NoActionCheck, Spread } from './analyse';
import type { StudyResult } from './index';

const STATIC_COLOR = OKABE_ITO.bluishGreen;
const STATIC_ON_COLOR = OKABE_ITO.reddishPurple;
const SLOT_MS = 60_000;

const num = (v: number, unit: string): string =>
  Number.isFinite(v) ? `${formatNumber(v)}${unit === '' ? '' : ` ${unit}`}` : '—';
const range = (s: Spread, unit: string): string => `${num(s.mean, unit)} (${num(s.min, '')}–${num(s.max, '')})`;
const ratio = (r: number): TableCell => (Number.isFinite(r) ? `${r.toFixed(3)}×` : null);
const calmCell = (c: NoActionCheck | undefined): TableCell =>
  c === undefined ? null : `${c.actions} actions; worst harm ${c.worstHarmPct.toFixed(2)}%`;

function familyTable(f: FamilyResult): Table {
  const h = f.headline;
  const rows: TableCell[][] = f.variants.map((v) => [
    `${v.label}${v.noAction ? ' (calm case)' : ''}`,
    range(v.heldOut.off[h.key], h.unit),
    range(v.heldOut.static[h.key], h.unit),
    range(v.heldOut.on[h.key], h.unit),
    ratio(v.ratios.onVsStatic),
    ratio(v.ratios.onVsOff),
    `${range(v.heldOut.hindsight[h.key], h.unit)} — ${v.hindsightPoint}`,
    calmCell(v.noActionCheck),
    range(v.heldOut.staticOn[h.key], h.unit),
    ratio(v.staticOnRatios.vsStatic),
    ratio(v.staticOnRatios.vsOn),
    calmCell(v.staticOnCheck),
  ]);
  return {
    columns: [
      'variant',
      'off',
      `static: ${f.choice.chosen}`,
      'on (defaults)',
      'on ÷ static',
      'on ÷ off',
      'static best for this variant alone',
      'calm case',
      'static + on',
      'static+on ÷ static',
      'static+on ÷ on',
      'calm case, static + on',
    ],
    rows,
    notes: [
      `${h.label}, whole run, mean over the held-out seeds (range over them in brackets); ratios above 1 mean on is better ` +
        `(${h.better} is better).`,
      `Static point chosen for the whole family on the training seeds: ${f.choice.chosen}. Swept: ${f.sweep.note}.`,
      'The per-variant static point is the one best for that variant alone on the training seeds: an upper reference no ' +
        'operator could choose before the incident.',
      `Calm cases: actions = interventions and tightenings over every seed; harm = how much worse on is than off on ` +
        `${'any of the whole-run figures'} (mean over every seed).`,
      `Static + on: the static point with the policy on its defaults on top of it (its level 0 / restore is the static ` +
        `setting); calm cases: its actions, and harm against the static point alone.`,
    ],
  };
}

function familyChart(f: FamilyResult): Chart {
  const h = f.headline;
  const x = (i: number) => SIM_START_MS + i * SLOT_MS + SLOT_MS / 2;
  const series = (arm: 'off' | 'static' | 'on' | 'staticOn') =>
    f.variants.map((v, i) => [x(i), v.heldOut[arm][h.key].mean] as const);
  const spans: Span[] = f.variants.map((v, i) => ({
    start: SIM_START_MS + i * SLOT_MS,
    end: SIM_START_MS + (i + 1) * SLOT_MS,
    label: v.name,
    kind: v.noAction ? 'window' : 'incident',
  }));
  return {
    title: `${f.title}: ${h.label}, held-out mean, by variant`,
    yLabel: h.unit,
    xType: 'time',
    series: [
      { name: 'off', points: series('off'), color: OFF_COLOR },
      { name: `static: ${f.choice.chosen}`, points: series('static'), color: STATIC_COLOR },
      { name: 'on (defaults)', points: series('on'), color: ON_COLOR },
      { name: 'static + on', points: series('staticOn'), color: STATIC_ON_COLOR },
    ],
    spans,
  };
}

function summaryTable(r: StudyResult): Table {
  const rows: TableCell[][] = r.families.map((f) => {
    const s = f.summary;
    return [
      f.title,
      `${s.onAtLeastStatic} / ${s.variants}`,
      `${s.onAtLeastOff} / ${s.variants}`,
      `${s.onVsStatic.mean.toFixed(3)}× (worst ${s.onVsStatic.worst.toFixed(3)}×, ${s.onVsStatic.worstAt})`,
      `${s.onVsOff.mean.toFixed(3)}× (worst ${s.onVsOff.worst.toFixed(3)}×, ${s.onVsOff.worstAt})`,
      calmSummary(s.noAction),
    ];
  });
  return {
    columns: ['family', 'on ≥ static', 'on ≥ off', 'on ÷ static', 'on ÷ off', 'calm cases'],
    rows,
    notes: [
      `Training seeds ${r.plan.training.join(', ')}; held-out seeds ${r.plan.heldOut.join(', ')}. Ratios on each family's ` +
        `headline figure, held-out means; above 1 = on better.`,
    ],
  };
}

const meanWorst = (m: MeanAndWorst): string => `${m.mean.toFixed(3)}× (worst ${m.worst.toFixed(3)}×, ${m.worstAt})`;
const calmSummary = (n: StudyResult['summary']['noAction']): string =>
  `${n.actions} actions, ${n.actionsPer10Min.toFixed(2)} per 10 min; worst harm ${n.worstHarmPct.toFixed(2)}% (${n.worstHarmAt})`;

/** The fourth arm: does the loop add anything to a good static setting, and does it ever harm it. */
function staticOnTable(r: StudyResult): Table {
  const rows: TableCell[][] = [
    ...r.families.map((f) => ({ title: f.title, s: f.staticOnSummary })),
    { title: 'all families', s: r.staticOnSummary },
  ].map(({ title, s }) => [
    title,
    `${s.atLeastStatic} / ${s.variants}`,
    `${s.atLeastOn} / ${s.variants}`,
    meanWorst(s.vsStatic),
    meanWorst(s.vsOn),
    calmSummary(s.noAction),
  ]);
  return {
    columns: ['static + on', '≥ static', '≥ on', '÷ static', '÷ on', 'calm cases (harm vs static)'],
    rows,
    notes: [
      "Static + on: the family's static point with the policy on its documented defaults on top of it, the deployment an " +
        "operator runs. Held-out means of the headline figure; above 1 = static + on better. The three arms' summary above " +
        'is the one the aims are judged on.',
    ],
  };
}

export function studyReport(r: StudyResult, generatedFrom: string): Report {
  const sections: Section[] = r.families.map((f) => ({
    title: f.title,
    description:
      `Headline: ${f.headline.label}. Off = the system's own defaults, static = one fixed setting chosen for the family, on = ` +
      `the policy on its documented defaults.`,
    table: familyTable(f),
    charts: [familyChart(f)],
  }));
  const staticOn: Section = {
    title: 'Static + on: the loop on top of the static point',
    description:
      "Does the loop add anything to a good static setting, and does it ever harm it? The family's static point with the " +
      'policy on its defaults on top of it, against the static point alone and against on alone.',
    table: staticOnTable(r),
    charts: [],
  };
  return {
    title: 'homeostat — worth automating? Off, best static, on and static + on across scenario families',
    generatedFrom,
    summary: summaryTable(r),
    sections: [staticOn, ...sections],
  };
}

/** The summary the bench prints. */
export function studySummaryLines(r: StudyResult): string[] {
  const s = r.summary;
  const lines = [
    `variants: ${s.variants}; on ≥ best static in ${s.onAtLeastStatic} ` +
      `(${((100 * s.onAtLeastStatic) / s.variants).toFixed(0)}%), on ≥ off in ${s.onAtLeastOff}`,
    `on ÷ static: mean ${s.onVsStatic.mean.toFixed(3)}×, worst ${s.onVsStatic.worst.toFixed(3)}× (${s.onVsStatic.worstAt})`,
    `on ÷ off:    mean ${s.onVsOff.mean.toFixed(3)}×, worst ${s.onVsOff.worst.toFixed(3)}× (${s.onVsOff.worstAt})`,
    `calm cases (${s.noAction.variants}): ${s.noAction.actions} actions, ${s.noAction.actionsPer10Min.toFixed(2)} per 10 ` +
      `simulated minutes; worst harm ${s.noAction.worstHarmPct.toFixed(2)}% (${s.noAction.worstHarmAt})`,
    `aims: on ≥ static in ≥ 90% ${yes(s.aims.onAtLeastStaticIn90Pct)}; on ≥ off everywhere ` +
      `${yes(s.aims.onAtLeastOffEverywhere)}; calm harm ≤ 2% ${yes(s.aims.noActionHarmWithin2Pct)}; ≤ 1 action / 10 min ` +
      `${yes(s.aims.noActionAtMostOnePer10Min)}`,
  ];
  const so = r.staticOnSummary;
  lines.push(
    `static + on: ≥ static in ${so.atLeastStatic}, ≥ on in ${so.atLeastOn} of ${so.variants}; ÷ static ${meanWorst(so.vsStatic)}; ` +
      `÷ on ${meanWorst(so.vsOn)}; calm cases: ${calmSummary(so.noAction)} (harm vs static)`,
  );
  for (const f of r.families) {
    lines.push(
      '',
      `${f.title} — headline: ${f.headline.label} (${f.headline.better} is better); static point: ${f.choice.chosen}`,
    );
    for (const v of f.variants) {
      const h = f.headline.key;
      const m = (a: 'off' | 'static' | 'on' | 'hindsight' | 'staticOn') => num(v.heldOut[a][h].mean, f.headline.unit);
      const calm =
        v.noActionCheck === undefined
          ? ''
          : `  [calm: ${v.noActionCheck.actions} actions, harm ${v.noActionCheck.worstHarmPct.toFixed(2)}%]`;
      const soCalm =
        v.staticOnCheck === undefined
          ? ''
          : ` [calm: ${v.staticOnCheck.actions} actions, harm vs static ${v.staticOnCheck.worstHarmPct.toFixed(2)}%]`;
      lines.push(
        `  ${v.name.padEnd(16)} off ${m('off')} | static ${m('static')} | on ${m('on')} | on÷static ` +
          `${v.ratios.onVsStatic.toFixed(3)} on÷off ${v.ratios.onVsOff.toFixed(3)} | alone-best ${m('hindsight')} ` +
          `(${v.hindsightPoint})${calm} | static+on ${m('staticOn')} ÷static ${v.staticOnRatios.vsStatic.toFixed(3)} ` +
          `÷on ${v.staticOnRatios.vsOn.toFixed(3)}${soCalm}`,
      );
    }
  }
  return lines;
}

const yes = (b: boolean): string => (b ? 'met' : 'MISSED');
