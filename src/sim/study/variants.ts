/**
 * The efficacy study's families (one per loop), their variants — the incidents a policy
 * meets, and the calm cases where a good loop does nothing — and the static settings an
 * operator could choose instead (the knob each policy turns, held fixed). Plain data: a
 * worker thread gets a variant and an arm by name.
 *
 * Nothing here configures homeostat: every variant runs the policies of ../policies.ts on
 * their documented defaults. What varies is the world (load shape, outage, tenants' demand)
 * and, for the static arm, the system's own fixed setting.
 */
import { HomeostatError } from '../../errors';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../../client/policy';
import { JITTER_STRATEGIES } from '../../client/backoff';
import type { HerdParams } from '../herd-model';
import { stepProfile, type Profile } from '../load';
import type { TenantsParams } from '../tenants-model';
import type { Better } from '../../report';
import type { ScenarioName } from '../types';
import type { TimeoutFrom, WorkersParams } from '../workers-model';
import { TENANT_WEIGHTS } from '../policies';
import { TENANTS_DEFAULTS } from '../tenants';

/**
 * A family: one loop on one kind of system. The workers are two families, one per kind of
 * worker timeout, because an operator knows which kind they run and picks a fixed timeout for
 * it: one static point over both kinds would be a setting nobody chooses.
 */
export type Family = 'overloaded-workers' | 'overloaded-workers-deadline' | 'thundering-herd' | 'noisy-tenant';

/** Parameters of a family's simulated system, by family. */
export interface FamilyParams {
  'overloaded-workers': Partial<WorkersParams>;
  'overloaded-workers-deadline': Partial<WorkersParams>;
  'thundering-herd': Partial<HerdParams>;
  'noisy-tenant': Partial<TenantsParams>;
}

export interface Variant<F extends Family = Family> {
  family: F;
  /** Short id, unique within the family. */
  name: string;
  label: string;
  /** A calm case: the best a loop can do is nothing. */
  noAction: boolean;
  params: FamilyParams[F];
  durationMs?: number;
}

export interface StaticPoint<F extends Family = Family> {
  name: string;
  params: FamilyParams[F];
}

export interface Headline {
  key: string;
  label: string;
  unit: string;
  better: Exclude<Better, 'neutral'>;
}

/** Per family: the headline figure (whole run) and the figures recorded beside it. */
export interface FamilySpec<F extends Family = Family> {
  family: F;
  /** The simulated system the family's variants run on. */
  scenario: ScenarioName;
  title: string;
  headline: Headline;
  /** Whole-run figures (and a labelled steady-state one) recorded for every arm. */
  figures: readonly string[];
  /** Figures a calm case must not worsen by more than the harm tolerance. */
  harmFigures: readonly string[];
  variants: readonly Variant<F>[];
  statics: readonly StaticPoint<F>[];
  /** What the static sweep does not cover, said in the report. */
  sweepNote: string;
}

const S = 1000;

/** A sine day compressed into the run: `mean` ± `amplitude` over `periodMs`, sampled every 10 s. */
function diurnal(durationMs: number, periodMs: number, mean: number, amplitude: number): [number, number][] {
  const pts: [number, number][] = [];
  for (let t = 0; t <= durationMs; t += 10 * S)
    pts.push([t, mean - amplitude * Math.cos((2 * Math.PI * t) / periodMs)]);
  return pts;
}

/** A diurnal curve with a step surge × `factor` on top of it over [from, to). */
function diurnalWithSurge(durationMs: number, from: number, to: number, factor: number): Profile {
  const day = diurnal(durationMs, durationMs, 1, 0.25);
  const at = (t: number) => 1 - 0.25 * Math.cos((2 * Math.PI * t) / durationMs);
  return [
    ...day.filter(([t]) => t < from),
    [from, at(from)],
    [from, at(from) * factor],
    ...day.filter(([t]) => t > from && t < to).map(([t, y]): [number, number] => [t, y * factor]),
    [to, at(to) * factor],
    [to, at(to)],
    ...day.filter(([t]) => t > to),
  ];
}

const W = 240 * S;

/** The workers families, by the kind of worker timeout (workers-model.ts). */
type WorkersFamily = 'overloaded-workers' | 'overloaded-workers-deadline';

const TIMEOUT_FROM: Readonly<Record<WorkersFamily, TimeoutFrom>> = {
  'overloaded-workers': 'start',
  'overloaded-workers-deadline': 'arrival',
};

/**
 * The two kinds of worker timeout (workers-model.ts): a statement timeout — counted from the
 * start of execution, with queries the clients gave up on still run from the backlog: the
 * overload adaptive timeouts are for — and a deadline-aware worker, where a timeout equal to the
 * clients' deadline wastes nothing by construction. Each kind is a family of its own; the
 * deadline-aware variants keep the `deadline-` prefix their names had when the two were one.
 */
const workersOf =
  <F extends WorkersFamily>(family: F) =>
  (name: string, label: string, noAction: boolean, params: Partial<WorkersParams>): Variant<F> => ({
    family,
    name: TIMEOUT_FROM[family] === 'start' ? name : `deadline-${name}`,
    label,
    noAction,
    params: { ...params, timeoutFrom: TIMEOUT_FROM[family] },
  });
const statement = workersOf('overloaded-workers');
const deadlineAware = workersOf('overloaded-workers-deadline');

const spike = { profile: stepProfile(100 * S, 102 * S, 3), surgeStartMs: 100 * S, surgeEndMs: 102 * S, surgeFactor: 3 };

const step2x = { surgeFactor: 2 };
const step3x = { surgeFactor: 3 };
const hetero2x = { speedMin: 0.4, speedMax: 1.6, surgeFactor: 2 };

/** What both workers families share: the headline, the figures and the static sweep (the same timeouts). */
const WORKERS_COMMON = {
  scenario: 'overloaded-workers',
  headline: {
    key: 'goodputRun',
    label: 'share of all queries answered within the client deadline',
    unit: '%',
    better: 'higher',
  },
  figures: ['goodputRun', 'p99Run', 'timeToRecover', 'goodputRatioSurge', 'flaps'],
  harmFigures: ['goodputRun', 'p99Run'],
  // The policy's whole range: from its floor (minTimeoutMs, 100 ms) to the clients' deadline (the off setting).
  statics: [100, 250, 400, 600, 800, 1000, 1500, 2000].map((ms) => ({
    name: `timeout ${ms} ms`,
    params: { defaultTimeoutMs: ms },
  })),
  sweepNote:
    "fixed query timeout on every worker, from the policy's floor (100 ms) to the clients' deadline (the simulated workers " +
    'have a fixed concurrency of 4 slots and no admission limit, so there is no concurrency knob to sweep)',
} as const satisfies Omit<FamilySpec<WorkersFamily>, 'family' | 'title' | 'variants'>;

const WORKERS: FamilySpec<'overloaded-workers'> = {
  ...WORKERS_COMMON,
  family: 'overloaded-workers',
  title: 'Overloaded workers, statement timeout (adaptive-timeout)',
  variants: [
    statement('step-1.5x', 'step ×1.5 for 90 s', false, { surgeFactor: 1.5 }),
    statement('step-2x', 'step ×2 for 90 s', false, step2x),
    statement('step-3x', 'step ×3 for 90 s', false, step3x),
    statement('ramp-2x', 'ramp to ×2 over 90 s, then down over 30 s', false, {
      profile: [
        [60 * S, 1],
        [150 * S, 2],
        [180 * S, 1],
      ],
      surgeEndMs: 180 * S,
    }),
    statement('diurnal-surge', 'diurnal ±25% with a ×1.8 surge for 60 s at its peak', false, {
      profile: diurnalWithSurge(W, 90 * S, 150 * S, 1.8),
      surgeStartMs: 90 * S,
      surgeEndMs: 150 * S,
      surgeFactor: 1.8,
    }),
    statement('hetero-2x', 'heterogeneous speeds 0.4–1.6×, step ×2', false, hetero2x),
    statement('steady', 'steady load (55%)', true, { surgeFactor: 1 }),
    statement('step-within', 'step ×1.2 (to 66%), stays', true, {
      profile: [
        [60 * S, 1],
        [60 * S, 1.2],
      ],
      surgeFactor: 1.2,
      surgeEndMs: 210 * S,
    }),
    statement('spike', 'single spike ×3 for 2 s', true, spike),
    statement('growth', 'organic growth 55% → 70% over the run', true, {
      profile: [
        [0, 1],
        [W, 70 / 55],
      ],
      surgeFactor: 70 / 55,
    }),
  ],
};

const WORKERS_DEADLINE: FamilySpec<'overloaded-workers-deadline'> = {
  ...WORKERS_COMMON,
  family: 'overloaded-workers-deadline',
  title: 'Overloaded workers, deadline-aware (adaptive-timeout)',
  variants: [
    deadlineAware('step-2x', 'step ×2 for 90 s', false, step2x),
    deadlineAware('step-3x', 'step ×3 for 90 s', false, step3x),
    deadlineAware('hetero-2x', 'heterogeneous speeds 0.4–1.6×, step ×2', false, hetero2x),
    deadlineAware('spike', 'single spike ×3 for 2 s', true, spike),
  ],
};

const H = 150 * S;

/** The herd's service is sized to the clients: 1.5 requests/s of capacity per client (67% load). */
const herdSized = (clients: number): Partial<HerdParams> => ({ clients, capacityPerSec: 1.5 * clients });

const BUDGET_ON = { budgetRatio: 0.2, budgetFloorPerSec: 0.1 };
const BUDGET_OFF = { budgetRatio: 1000, budgetFloorPerSec: 1_000_000 };

const HERD: FamilySpec<'thundering-herd'> = {
  family: 'thundering-herd',
  scenario: 'thundering-herd',
  title: 'Thundering herd (herd-control)',
  headline: {
    key: 'successShare',
    label: 'logical requests that succeeded (user-visible)',
    unit: '%',
    better: 'higher',
  },
  figures: ['successShare', 'retryAmplification', 'peakToMeanRun', 'p99Latency', 'timeToRecover', 'flaps'],
  harmFigures: ['successShare', 'retryAmplification', 'peakToMeanRun', 'p99Latency'],
  variants: [
    {
      family: 'thundering-herd',
      name: 'outage-5s',
      label: 'outage 5 s, 200 clients',
      noAction: false,
      params: { outageEndMs: 45 * S },
    },
    { family: 'thundering-herd', name: 'outage-15s', label: 'outage 15 s, 200 clients', noAction: false, params: {} },
    {
      family: 'thundering-herd',
      name: 'outage-60s',
      label: 'outage 60 s, 200 clients',
      noAction: false,
      params: { outageEndMs: 100 * S },
      durationMs: 180 * S,
    },
    {
      family: 'thundering-herd',
      name: 'clients-50',
      label: 'outage 15 s, 50 clients',
      noAction: false,
      params: herdSized(50),
    },
    {
      family: 'thundering-herd',
      name: 'clients-1000',
      label: 'outage 15 s, 1,000 clients',
      noAction: false,
      params: herdSized(1000),
    },
    {
      family: 'thundering-herd',
      name: 'steady',
      label: 'steady load (67%), no outage',
      noAction: true,
      params: { outageEndMs: 40 * S },
    },
    {
      family: 'thundering-herd',
      name: 'step-within',
      label: 'step ×1.25 (to 83%), no outage',
      noAction: true,
      params: {
        outageEndMs: 40 * S,
        profile: [
          [40 * S, 1],
          [40 * S, 1.25],
        ],
      },
    },
    {
      family: 'thundering-herd',
      name: 'spike',
      label: 'single spike ×2.5 for 2 s, no outage',
      noAction: true,
      params: { outageEndMs: 40 * S, profile: stepProfile(60 * S, 62 * S, 2.5) },
    },
    {
      family: 'thundering-herd',
      name: 'growth',
      label: 'organic growth 67% → 87% over the run, no outage',
      noAction: true,
      params: {
        outageEndMs: 40 * S,
        profile: [
          [0, 1],
          [H, 1.3],
        ],
      },
    },
  ],
  statics: JITTER_STRATEGIES.flatMap((strategy) =>
    [2, 3, 5].flatMap((maxAttempts) =>
      [true, false].map((budget) => {
        const policy: RetryPolicy = {
          ...DEFAULT_RETRY_POLICY,
          strategy,
          maxAttempts,
          ...(budget ? BUDGET_ON : BUDGET_OFF),
        };
        return {
          name: `${strategy} jitter, ${maxAttempts} attempts, budget ${budget ? 'on' : 'off'}`,
          params: { clientPolicy: policy },
        };
      }),
    ),
  ),
  sweepNote:
    'fixed client retry policy: jitter none / full / equal / decorrelated × 2, 3 or 5 attempts × retry budget on (20% of ' +
    'requests + 0.1/s per client) or off; base 100 ms, cap 20 s (the library defaults)',
};

/** Static quotas for every tenant: `level` × capacity split equally or by weight. */
function quotas(level: number, weighted: boolean): Record<string, number> {
  const ts = TENANTS_DEFAULTS.tenants;
  const weightOf = (name: string) => (weighted ? (TENANT_WEIGHTS[name] ?? 1) : 1);
  const total = ts.reduce((s, t) => s + weightOf(t.name), 0);
  return Object.fromEntries(
    ts.map((t) => [t.name, (level * TENANTS_DEFAULTS.capacityBytesPerSec * weightOf(t.name)) / total]),
  );
}

const short = { burstEndMs: 75 * S };

const TENANTS: FamilySpec<'noisy-tenant'> = {
  family: 'noisy-tenant',
  scenario: 'noisy-tenant',
  title: 'Noisy tenant (watermark-quota)',
  headline: { key: 'victimsP99Run', label: 'p99 latency of the other tenants, whole run', unit: 'ms', better: 'lower' },
  figures: ['victimsP99Run', 'jainRun', 'victimsP99Steady', 'timeToRecover', 'noisyThroughput', 'flaps'],
  harmFigures: ['victimsP99Run', 'jainRun'],
  variants: [
    {
      family: 'noisy-tenant',
      name: 'burst-2x',
      label: 'omega ×2 for 90 s',
      noAction: false,
      params: { burstFactor: 2 },
    },
    {
      family: 'noisy-tenant',
      name: 'burst-5x',
      label: 'omega ×5 for 90 s',
      noAction: false,
      params: { burstFactor: 5 },
    },
    {
      family: 'noisy-tenant',
      name: 'burst-10x',
      label: 'omega ×10 for 90 s',
      noAction: false,
      params: { burstFactor: 10 },
    },
    {
      family: 'noisy-tenant',
      name: 'burst-5x-short',
      label: 'omega ×5 for 15 s',
      noAction: false,
      params: { burstFactor: 5, ...short },
    },
    {
      family: 'noisy-tenant',
      name: 'burst-10x-short',
      label: 'omega ×10 for 15 s',
      noAction: false,
      params: { burstFactor: 10, ...short },
    },
    { family: 'noisy-tenant', name: 'steady', label: 'steady load (65%)', noAction: true, params: { burstFactor: 1 } },
    {
      family: 'noisy-tenant',
      name: 'step-within',
      label: 'omega ×1.5 (to 70%), stays',
      noAction: true,
      params: {
        profile: [
          [60 * S, 1],
          [60 * S, 1.5],
        ],
      },
    },
    {
      family: 'noisy-tenant',
      name: 'spike',
      label: 'single spike: omega ×5 for 2 s',
      noAction: true,
      params: { burstFactor: 5, burstStartMs: 100 * S, burstEndMs: 102 * S },
    },
    {
      family: 'noisy-tenant',
      name: 'growth',
      label: 'organic growth 65% → 78% over the run (every tenant)',
      noAction: true,
      params: {
        profile: [
          [0, 1],
          [W, 1.2],
        ],
        othersProfile: [
          [0, 1],
          [W, 1.2],
        ],
      },
    },
  ],
  statics: [
    { name: 'no quotas', params: {} },
    ...[0.8, 1, 1.2, 1.5].flatMap((level) => [
      { name: `equal shares of ${level * 100}%`, params: { staticQuotas: quotas(level, false) } },
      { name: `weighted shares of ${level * 100}%`, params: { staticQuotas: quotas(level, true) } },
    ]),
  ],
  sweepNote:
    'fixed per-tenant quotas: none, or shares of 80%, 100%, 120% or 150% of capacity, equal or weighted (alpha 2), on every ' +
    'tenant from the start',
};

export const FAMILIES: readonly FamilySpec[] = [WORKERS, WORKERS_DEADLINE, HERD, TENANTS];

export function familySpec(family: Family): FamilySpec {
  const f = FAMILIES.find((x) => x.family === family);
  if (f === undefined)
    throw new HomeostatError(
      'USAGE',
      `unknown family ${JSON.stringify(family)}; use one of ${FAMILIES.map((x) => x.family).join(', ')}`,
      { field: 'family' },
    );
  return f;
}
