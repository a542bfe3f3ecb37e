/**
 * The decision stage of the pipeline: final window signals → policies and guardrails →
 * commands and decisions. Pure apart from holding the engine's state between calls; every
 * driver (Kafka, replay, simulation) uses it, so a replay decides exactly as the live run.
 */
import type { Command } from '../model/command';
import type { Decision } from '../model/decision';
import type { WindowSignal } from '../model/signal';
import type { ControlRecord } from '../guardrails/control';
import type { DecisionEngine, EngineState } from '../policies';

export interface DecideOutputs {
  commands: Command[];
  decisions: Decision[];
}

export interface DecisionStage {
  readonly engine: DecisionEngine;
  /** Feeds final signals in emission order; each run of equal windowEnd is one evaluation at that event time. */
  onFinals(finals: readonly WindowSignal[], out: DecideOutputs): void;
  onControl(control: ControlRecord, out: DecideOutputs): void;
  state(): EngineState;
  restore(state: EngineState): void;
}

export function createDecisionStage(engine: DecisionEngine, initial?: EngineState): DecisionStage {
  let state = initial ?? engine.init();
  return {
    engine,
    onFinals(finals, out) {
      let i = 0;
      while (i < finals.length) {
        const end = finals[i].windowEnd;
        let j = i;
        while (j < finals.length && finals[j].windowEnd === end) j++;
        const r = engine.onWindow(state, finals.slice(i, j), end);
        state = r.state;
        out.commands.push(...r.commands);
        out.decisions.push(...r.decisions);
        i = j;
      }
    },
    onControl(control, out) {
      const r = engine.onControl(state, control);
      state = r.state;
      out.decisions.push(...r.decisions);
    },
    state: () => state,
    restore(s) {
      state = s;
    },
  };
}
