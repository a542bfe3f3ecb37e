/**
 * The closed loop, through the real code: simulated telemetry → createProcessor (real
 * windows, watermarks, sketches, stage-two scope merge) → final signals →
 * createDecisionEngine (real policies, guardrails and modes) → commands → the executor
 * model (executor.ts) → the simulated system.
 *
 * A scenario calls `ingest(records, now)` once per telemetry flush (every simulated
 * second) with the records it emitted since the last flush. Each record goes to a
 * partition (sources spread round-robin in first-seen order, like a keyed topic), the
 * processor closes whatever windows the watermark has passed, and every group of final
 * signals with the same window end goes through `onWindow` with eventTime = window end,
 * in window order — what the Kafka runner does with a batch. Commands are handed to the
 * executor at `now`: the control delay is the real one, a window plus the watermark's
 * out-of-orderness and grace plus the flush interval.
 */
import type { EngineConfigInput } from '../core';
import { resolveEngineConfig } from '../core';
import type { Command, Mode } from '../model/command';
import type { Decision } from '../model/decision';
import type { WindowSignal } from '../model/signal';
import type { Telemetry } from '../model/telemetry';
import { createProcessor, emptyOutputs, type ProcessorCounters } from '../pipeline/processor';
import { createDecisionEngine, createPolicies, type DecisionEngineState } from '../policies';
import { createExecutorModel, type Actuator, type ExecutorEvent, type ExecutorModel } from './executor';

export interface LoopConfig {
  engine: EngineConfigInput;
  /** Partitions of the simulated telemetry topic (one engine owns them all). */
  partitions: number;
  /** Plain policy configs, parsed and validated by the policies module. */
  policies: readonly unknown[];
  /** The global guardrails section, as a plain object. */
  guardrails: unknown;
  /** `enforce` closes the loop; `shadow` decides but never acts (the "off" runs). */
  mode: Extract<Mode, 'shadow' | 'enforce'>;
}

/**
 * What a run of the loop leaves behind, whichever way it was driven (in-process here, or
 * through the real topics in src/demo): the scenarios' figures and report read only this.
 */
export interface LoopRecord {
  readonly executor: { events(): readonly ExecutorEvent[] };
  /** Every final signal, in emission order. */
  finals(): readonly WindowSignal[];
  commands(): readonly Command[];
  decisions(): readonly Decision[];
  counters(): ProcessorCounters & { recordsEmitted: number; windowsDecided: number };
}

export interface Loop extends LoopRecord {
  ingest(records: readonly Telemetry[], now: number): void;
  /** Lapses leases due at `now` (call once per flush even without records). */
  tick(now: number): void;
  readonly executor: ExecutorModel;
}

export function createLoop(config: LoopConfig, actuator: Actuator): Loop {
  const engineConfig = resolveEngineConfig(config.engine);
  const processor = createProcessor({ engine: engineConfig, partitionCount: config.partitions });
  processor.step(
    { kind: 'assign', partitions: Array.from({ length: config.partitions }, (_, i) => i) },
    emptyOutputs(),
  );
  const decider = createDecisionEngine({
    policies: createPolicies(config.policies),
    guardrails: config.guardrails,
    modeOverride: config.mode,
    signing: null,
  });
  let state: DecisionEngineState = decider.init();
  const executor = createExecutorModel(actuator);
  const partitionOf = new Map<string, number>();
  const offsets = new Array<number>(config.partitions).fill(0);
  const finals: WindowSignal[] = [];
  const commands: Command[] = [];
  const decisions: Decision[] = [];
  let recordsEmitted = 0;
  let windowsDecided = 0;
  const out = emptyOutputs();

  function partition(source: string): number {
    let p = partitionOf.get(source);
    if (p === undefined) {
      p = partitionOf.size % config.partitions;
      partitionOf.set(source, p);
    }
    return p;
  }

  function ingest(records: readonly Telemetry[], now: number): void {
    executor.tick(now);
    out.published.length = 0;
    out.finals.length = 0;
    out.dead.length = 0;
    for (const record of records) {
      const p = partition(record.source);
      processor.step({ kind: 'record', partition: p, offset: offsets[p]++, record }, out);
      recordsEmitted++;
    }
    if (out.finals.length === 0) return;
    finals.push(...out.finals);
    const byEnd = new Map<number, WindowSignal[]>();
    for (const s of out.finals) {
      const group = byEnd.get(s.windowEnd);
      if (group) group.push(s);
      else byEnd.set(s.windowEnd, [s]);
    }
    for (const end of [...byEnd.keys()].sort((a, b) => a - b)) {
      const r = decider.onWindow(state, byEnd.get(end) as WindowSignal[], end);
      state = r.state;
      windowsDecided++;
      decisions.push(...r.decisions);
      for (const cmd of r.commands) {
        commands.push(cmd);
        executor.handle(cmd, now);
      }
    }
  }

  return {
    ingest,
    tick: (now) => executor.tick(now),
    executor,
    finals: () => finals,
    commands: () => commands,
    decisions: () => decisions,
    counters: () => ({ ...processor.counters(), recordsEmitted, windowsDecided }),
  };
}
