/**
 * The decision stage of the pipeline: final window signals → policies and guardrails →
 * commands and decisions → verification of each enforced action against the signals that
 * follow (outcomes; an automatic revert when an action made things worse). Pure apart from
 * holding state between calls; every driver (Kafka, replay, simulation) uses it, so a
 * replay decides exactly as the live run.
 */
import { applyCommand } from '../actions/leases';
import type { SigningKey } from '../actions/signing';
import type { OutcomeRecord } from '../codec';
import type { ControlRecord } from '../guardrails/control';
import type { Command } from '../model/command';
import type { Decision } from '../model/decision';
import type { WindowSignal } from '../model/signal';
import type { DecisionEngine, DecisionEngineState, PolicyDrafts } from '../policies';
import type { Verifier, VerifierState } from '../verify';
import { appendAll } from './append';
import { verifyWindow } from './verify-step';

export interface DecideOutputs {
  commands: Command[];
  decisions: Decision[];
  outcomes?: OutcomeRecord[];
}

/** Plain JSON: snapshotted with the offsets so that a restart resumes it. */
export interface StageState {
  engine: DecisionEngineState;
  verifier: VerifierState | null;
}

export interface DecisionStage {
  readonly engine: DecisionEngine;
  /** Feeds final signals in emission order; each run of equal windowEnd is one evaluation at that event time. */
  onFinals(finals: readonly WindowSignal[], out: DecideOutputs): void;
  /** Applies an operator's record; returns why it was refused (the state is then unchanged), else undefined. */
  onControl(control: ControlRecord, out: DecideOutputs): string | undefined;
  state(): StageState;
  restore(state: StageState | DecisionEngineState): void;
}

export interface DecisionStageOptions {
  verifier?: Verifier;
  /** Signs automatic reverts (null: unsigned, as the engine's own commands then are). */
  signing?: SigningKey | null;
}

/** Calls `fn` for each run of equal windowEnd in `finals` (emission order): one evaluation each. */
export function eachWindow(
  finals: readonly WindowSignal[],
  fn: (group: readonly WindowSignal[], windowEnd: number) => void,
): void {
  let i = 0;
  while (i < finals.length) {
    const end = finals[i].windowEnd;
    let j = i;
    while (j < finals.length && finals[j].windowEnd === end) j++;
    fn(finals.slice(i, j), end);
    i = j;
  }
}

export function createDecisionStage(engine: DecisionEngine, options: DecisionStageOptions = {}): DecisionStage {
  const verifier = options.verifier;
  let state: DecisionEngineState = engine.init();
  let vstate: VerifierState | null = verifier ? verifier.init() : null;
  // The policies' working copies: this stage owns its state, so the engine steps them in place window after window
  // (a policy's table has a key per target) and `state.policies` is brought up to date only when state() is asked for.
  const drafts: PolicyDrafts = new Map();
  let stale = false;

  return {
    engine,
    onFinals(finals, out) {
      eachWindow(finals, (group, end) => {
        const r = engine.onWindowInPlace(state, group, end, drafts);
        state = r.state;
        stale = true;
        appendAll(out.commands, r.commands);
        appendAll(out.decisions, r.decisions);
        if (verifier && vstate) {
          // A worsened action is reverted now, and its lease dropped so that it is not renewed.
          const step = { commands: r.commands, signals: group, eventTime: end };
          vstate = verifyWindow(verifier, vstate, step, options.signing ?? null, out, (cmd) => {
            state = { ...state, leases: applyCommand(state.leases, cmd, 'revert') };
          });
        }
      });
    },
    onControl(control, out) {
      const r = engine.onControl(state, control);
      state = r.state;
      appendAll(out.decisions, r.decisions);
      return r.refused;
    },
    state() {
      // Materialised once per change: a caller holding what this returned never sees a later window change it.
      if (stale) state = engine.materialise(state, drafts);
      stale = false;
      return { engine: state, verifier: vstate };
    },
    restore(s) {
      drafts.clear();
      stale = false;
      // Snapshots written before verification existed hold the engine state alone.
      if ('engine' in s) {
        state = s.engine;
        vstate = verifier ? (s.verifier ?? verifier.init()) : null;
      } else {
        state = s;
        vstate = verifier ? verifier.init() : null;
      }
    },
  };
}
