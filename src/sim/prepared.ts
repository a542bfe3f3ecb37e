/**
 * A scenario split from the way its loop is driven: the simulated system and what homeostat
 * is configured with (`prepare…`), then a driver that feeds the telemetry of each simulated
 * second to a loop and hands commands back to the actuator, then the figures (`finish`).
 *
 * Two drivers exist: `runInProcess` below (createLoop: processor, decision engine and the
 * executor model in this process, synchronous) and src/demo's lockstep driver, which sends
 * the same telemetry through the real topics to a Kafka runner and an SDK executor. Both
 * call `advance` once per simulated second in the same order, so a seed gives the same
 * simulated system either way; whatever differs comes from the loop itself.
 */
import type { CommandFamily } from '../model/command';
import type { Telemetry } from '../model/telemetry';
import type { ParamBounds } from '../executor/types';
import type { Actuator } from './executor';
import { createLoop, type LoopConfig, type LoopRecord } from './loop';
import type { ScenarioName, ScenarioResult } from './types';

/** What an executor of this scenario may do: one command family on a known set of targets. */
export interface ExecutorScope {
  family: CommandFamily;
  /** Every target the scenario's policy can address (an executor's allow-list). */
  targets: readonly string[];
  /** Parameter bounds an executor enforces (the policy's own limits, so nothing legitimate is refused). */
  bounds: ParamBounds;
}

export interface PreparedScenario {
  scenario: ScenarioName;
  /** homeostat's side: engine, partitions, policies, guardrails, mode. */
  loop: LoopConfig;
  /** What applying and reverting a command does to the simulated system. */
  actuator: Actuator;
  executor: ExecutorScope;
  /** Simulated start, epoch ms; the loop runs one flush per simulated second after it. */
  startMs: number;
  seconds: number;
  /** The simulated system's telemetry for (t − 1 s, t], in emission order. Call once per second, in order. */
  advance(t: number): Telemetry[];
  /** Optional: stop producing telemetry, for a run without a loop (runOpenLoop); the ground truth is unchanged. */
  silence?(): void;
  /** Figures, series and the report record, once every second has been driven through `loop`. */
  finish(loop: LoopRecord): ScenarioResult;
}

/** The flush times of a prepared scenario: start + 1 s, start + 2 s, … start + seconds. */
export function flushTimes(p: Pick<PreparedScenario, 'startMs' | 'seconds'>): number[] {
  return Array.from({ length: p.seconds }, (_, k) => p.startMs + (k + 1) * 1000);
}

/** Drives a prepared scenario through the in-process loop. */
export function runInProcess(p: PreparedScenario): ScenarioResult {
  const loop = createLoop(p.loop, p.actuator);
  for (const t of flushTimes(p)) loop.ingest(p.advance(t), t);
  return p.finish(loop);
}

/**
 * The loop's record of a run without homeostat: no signals, commands or decisions. The
 * simulated system alone is what an operator's static configuration gives (a run in
 * shadow mode gives the same system too, since nothing is applied, at the processor's cost).
 */
const OPEN_LOOP: LoopRecord = {
  executor: { events: () => [] },
  finals: () => [],
  commands: () => [],
  decisions: () => [],
  counters: () => ({
    consumed: 0,
    aggregated: 0,
    late: 0,
    deadLettered: 0,
    windowsClosed: 0,
    signals: 0,
    evicted: 0,
    scopeRejected: 0,
    restored: 0,
    recordsEmitted: 0,
    windowsDecided: 0,
  }),
};

/**
 * Runs a prepared scenario with no loop at all: every second of the simulated system, then
 * `finish` on an empty record. Figures computed from ground truth are exact; figures read
 * from processor signals are empty (NaN).
 */
export function runOpenLoop(p: PreparedScenario): ScenarioResult {
  p.silence?.();
  for (const t of flushTimes(p)) p.advance(t);
  return p.finish(OPEN_LOOP);
}
