/** What a simulator run returns: key figures, time series for the report, and the loop's record. */
import type { ProcessorCounters } from '../pipeline/processor';
import type { Command } from '../model/command';
import type { DecisionKind } from '../model/decision';
import type { Better, Marker, Point, Span, Threshold } from '../report';
import type { ExecutorEvent } from './executor';

export type ScenarioName = 'overloaded-workers' | 'thundering-herd' | 'noisy-tenant';

export const SCENARIOS: readonly ScenarioName[] = ['overloaded-workers', 'thundering-herd', 'noisy-tenant'];

export interface RunOptions {
  /** true: the policies run in `enforce` mode and the executor applies their commands; false: `shadow`, nothing is applied. */
  remediation: boolean;
  /** Seed of every random draw in the run (32-bit integer). */
  seed: number;
  /** Simulated run length, ms; each scenario has a default and a minimum (its disturbance must fit). */
  durationMs?: number;
}

export interface Interval {
  start: number;
  end: number;
  label: string;
}

/** One key figure: a row of the off/on comparison table. */
export interface Figure {
  key: string;
  label: string;
  /** null: not defined for this run (e.g. never recovered within the run). */
  value: number | null;
  unit: string;
  /** Which direction is an improvement (the report marks off → on accordingly). */
  better: Better;
  /** How it was measured, shown as a footnote. */
  note?: string;
}

/** A time series, one point per window (x = window end, epoch ms). */
export interface SimSeries {
  name: string;
  unit: string;
  points: Point[];
  /** `step` for settings held until the next change (timeouts, quotas). */
  style?: 'line' | 'step';
}

export interface LoopSummary extends ProcessorCounters {
  /** Telemetry records the simulated system emitted (all fed to the processor). */
  recordsEmitted: number;
  /** onWindow calls of the decision engine. */
  windowsDecided: number;
  /** Final signals the processor emitted. */
  finals: number;
}

export interface ScenarioResult {
  scenario: ScenarioName;
  title: string;
  remediation: boolean;
  seed: number;
  /** Simulated start, epoch ms (fixed, so that runs and reports are reproducible). */
  startMs: number;
  durationMs: number;
  /** The disturbance (surge, outage, burst). */
  disturbance: Interval;
  /** Key figures, in table order; `figure(result, key)` reads one. */
  figures: Figure[];
  /** Time series by key (see each scenario's file for its keys). */
  series: Record<string, SimSeries>;
  /** Policy watermarks and other reference lines, by series key. */
  thresholds: Record<string, Threshold[]>;
  /** Commands (set, relax, revert), lapses and blocked decisions on the time axis. */
  markers: Marker[];
  /** Leases as spans: from the first set to the revert or lapse, one per target. */
  leases: Span[];
  /** Every command the decision engine produced, shadow ones included, in order. */
  commands: Command[];
  /** Decisions by kind. */
  decisions: Partial<Record<DecisionKind, number>>;
  /** What the executor model did, in order. */
  executor: ExecutorEvent[];
  loop: LoopSummary;
}
