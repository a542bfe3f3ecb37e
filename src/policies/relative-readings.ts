/**
 * A policy's readings of one target in one window, with thresholds resolved against the
 * target's own baseline (signals/trigger.ts) and an optional SLO burn-rate reading
 * (signals/burn-rate.ts). The baseline and burn memory live in the policy's per-target state,
 * so they are checkpointed with the engine and move with the decision stage's owner: a restarted
 * process reads exactly what an uninterrupted one would.
 *
 * Pure: no clock, no I/O; never mutates the memory it is given.
 */
import type { WindowSignal } from '../model/signal';
import { stepBaseline, type BaselineSpec, type BaselineState } from '../signals/baseline';
import { judgeBurn, shareOver, stepBurn, type BurnPair, type BurnState } from '../signals/burn-rate';
import { isLevelled, judgeLevels, triggerThresholds, type LevelRun, type Trigger } from '../signals/levels';
import { isRelative, resolveThreshold, type Threshold } from '../signals/trigger';
import { worst, type SignalStat } from './signals';
import { windowOf } from './streak';
import { baselineSchema, baselineSpec, type BaselineConfig } from './trigger.config';

export interface TriggerSpec {
  metric: string;
  stat: SignalStat;
  /** A threshold, or levels with their persistence (signals/levels.ts). */
  high: Trigger | null;
  low: Threshold | null;
}

export interface Reading {
  /** `metric:stat`, or `metric:slo-burn` for the burn-rate reading. */
  signal: string;
  value: number;
  high: number;
  low: number;
  /** Set when the verdict is not `value > high` (the burn rate needs both spans of a pair). */
  over?: boolean;
  calm?: boolean;
  /** Why a levelled trigger fired when it needed persistence ("3rd window over …"), for reasons. */
  detail?: string;
}

/** What relative triggers remember per target; absent keys when the policy uses none. */
export interface TriggerMemory {
  baselines?: Readonly<Record<string, BaselineState>>;
  burn?: BurnState;
  /** Consecutive windows over each level of a levelled trigger, per signal key. */
  levels?: Readonly<Record<string, LevelRun>>;
}

export interface LatencySlo {
  metric: string;
  latencyMs: number;
  objective: number;
  pairs: readonly BurnPair[];
}

export interface TargetReading {
  readings: Reading[];
  /** A relative trigger or the SLO saw data: the target is evaluated even with no reading yet (warm-up). */
  learning: boolean;
  /** The memory after this window; `freeze` keeps the baselines as they were (acting, or over the trigger). */
  learn(freeze: boolean): TriggerMemory;
}

/** The signal of `metric` with the largest p99 (the worst series of the target), for its quantiles. */
function worstSeries(signals: readonly WindowSignal[], metric: string): WindowSignal | null {
  let out: WindowSignal | null = null;
  for (const s of signals)
    if (s.metric === metric && s.count > 0 && Number.isFinite(s.p99) && (out === null || s.p99 > out.p99)) out = s;
  return out;
}

/**
 * The reading of one signal against its high trigger; `exceeded` when a levelled trigger's value
 * is above one of its levels (persistence building up: the baseline must not learn it either).
 */
function readHigh(
  high: Trigger,
  key: string,
  value: number,
  low: number,
  b: BaselineState | undefined,
  run: LevelRun | undefined,
  signals: readonly WindowSignal[],
  spec: BaselineSpec,
): { reading: Reading; exceeded: boolean; run?: LevelRun } | null {
  if (!isLevelled(high)) {
    const bar = resolveThreshold(high, b, spec);
    return bar === null
      ? null
      : { reading: { signal: key, value, high: bar, low: Math.min(low, bar) }, exceeded: false };
  }
  const v = judgeLevels(high, value, b, spec, run, windowOf(signals));
  if (v === null) return null;
  const reading: Reading = { signal: key, value, high: v.high, low: Math.min(low, v.lowest), over: v.over };
  if (v.detail !== '') reading.detail = v.detail;
  return { reading, exceeded: v.exceeded, run: v.run };
}

export function relativeReadings(
  triggers: readonly TriggerSpec[],
  baseline: BaselineConfig | undefined,
  slo: LatencySlo | undefined,
) {
  const spec = baselineSpec(baseline ?? baselineSchema.parse({}));
  // What depends on the config alone, once: the signal key and whether a baseline is needed.
  const active = triggers
    .filter((t): t is TriggerSpec & { high: Trigger; low: Threshold } => t.high !== null && t.low !== null)
    .map((t) => ({
      ...t,
      key: `${t.metric}:${t.stat}`,
      relative: triggerThresholds(t.high).some(isRelative) || isRelative(t.low),
    }));
  const burnSpec = slo === undefined ? undefined : { objective: slo.objective, pairs: slo.pairs };

  function read(signals: readonly WindowSignal[], prev: TriggerMemory | undefined): TargetReading {
    const readings: Reading[] = [];
    // Allocated only when a trigger needs them (most targets, most windows: none).
    let values: Record<string, number> | null = null;
    let runs: Record<string, LevelRun> | null = null;
    /** Keys whose value is above a level this window: their baseline does not learn it. */
    let exceeded: Set<string> | null = null;
    for (const t of active) {
      const v = worst(signals, t.metric, t.stat);
      if (v === null) continue;
      const key = t.key;
      const b = prev?.baselines?.[key];
      if (t.relative) (values ??= {})[key] = v;
      const low = resolveThreshold(t.low, b, spec);
      const reading = low === null ? null : readHigh(t.high, key, v, low, b, prev?.levels?.[key], signals, spec);
      if (reading === null) continue; // warming up
      if (reading.run !== undefined) (runs ??= {})[key] = reading.run;
      if (reading.exceeded) (exceeded ??= new Set()).add(key);
      readings.push(reading.reading);
    }
    let burn = prev?.burn;
    if (slo !== undefined && burnSpec !== undefined) {
      const s = worstSeries(signals, slo.metric);
      if (s !== null) {
        burn = stepBurn(burn, shareOver(slo.latencyMs, s) * s.count, s.count, burnSpec);
        const v = judgeBurn(burn, burnSpec);
        readings.push({
          signal: `${slo.metric}:slo-burn`,
          value: v.rate,
          high: v.factor,
          low: 1,
          over: v.firing,
          calm: v.calm,
        });
      }
    }
    const learning = values !== null || burn !== prev?.burn;
    const levels = prev?.levels !== undefined || runs !== null ? { ...prev?.levels, ...runs } : undefined;
    return {
      readings,
      learning,
      learn(freeze) {
        const out: TriggerMemory = {};
        if (prev?.baselines !== undefined || values !== null) {
          const baselines: Record<string, BaselineState> = { ...prev?.baselines };
          for (const [key, v] of Object.entries(values ?? {}))
            baselines[key] = stepBaseline(baselines[key], v, freeze || exceeded?.has(key) === true, spec);
          out.baselines = baselines;
        }
        if (burn !== undefined) out.burn = burn;
        if (levels !== undefined) out.levels = levels;
        return out;
      },
    };
  }

  return { read };
}

/** Overloaded: some reading over its high threshold (or its own verdict). */
export const isOver = (r: Reading): boolean => r.over ?? r.value > r.high;
/** Calm: under its low threshold (or its own verdict). */
export const isCalm = (r: Reading): boolean => r.calm ?? r.value < r.low;
