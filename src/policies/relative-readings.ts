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
import { stepBaseline, type BaselineState } from '../signals/baseline';
import { judgeBurn, shareOver, stepBurn, type BurnPair, type BurnState } from '../signals/burn-rate';
import { isRelative, resolveThreshold, type Threshold } from '../signals/trigger';
import { worst, type SignalStat } from './signals';
import { baselineSchema, baselineSpec, type BaselineConfig } from './trigger.config';

export interface TriggerSpec {
  metric: string;
  stat: SignalStat;
  high: Threshold | null;
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
}

/** What relative triggers remember per target; absent keys when the policy uses none. */
export interface TriggerMemory {
  baselines?: Readonly<Record<string, BaselineState>>;
  burn?: BurnState;
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

export function relativeReadings(
  triggers: readonly TriggerSpec[],
  baseline: BaselineConfig | undefined,
  slo: LatencySlo | undefined,
) {
  const spec = baselineSpec(baseline ?? baselineSchema.parse({}));
  const active = triggers.filter(
    (t): t is TriggerSpec & { high: Threshold; low: Threshold } => t.high !== null && t.low !== null,
  );
  const burnSpec = slo === undefined ? undefined : { objective: slo.objective, pairs: slo.pairs };

  function read(signals: readonly WindowSignal[], prev: TriggerMemory | undefined): TargetReading {
    const readings: Reading[] = [];
    const values: Record<string, number> = {};
    for (const t of active) {
      const v = worst(signals, t.metric, t.stat);
      if (v === null) continue;
      const key = `${t.metric}:${t.stat}`;
      const b = prev?.baselines?.[key];
      if (isRelative(t.high) || isRelative(t.low)) values[key] = v;
      const high = resolveThreshold(t.high, b, spec);
      const low = resolveThreshold(t.low, b, spec);
      if (high === null || low === null) continue; // warming up
      readings.push({ signal: key, value: v, high, low: Math.min(low, high) });
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
    const learning = Object.keys(values).length > 0 || burn !== prev?.burn;
    return {
      readings,
      learning,
      learn(freeze) {
        const out: TriggerMemory = {};
        if (prev?.baselines !== undefined || Object.keys(values).length > 0) {
          const baselines: Record<string, BaselineState> = { ...prev?.baselines };
          for (const [key, v] of Object.entries(values)) baselines[key] = stepBaseline(baselines[key], v, freeze, spec);
          out.baselines = baselines;
        }
        if (burn !== undefined) out.burn = burn;
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
