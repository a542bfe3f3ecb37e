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
import type { DecisionEngine, DecisionEngineState } from '../policies';
import { makeDecision } from '../policies/engine-support';
import { buildRevertCommand, type RevertProposal, type Verifier, type VerifierState } from '../verify';
import { appendAll } from './append';

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

export function createDecisionStage(engine: DecisionEngine, options: DecisionStageOptions = {}): DecisionStage {
  const verifier = options.verifier;
  let state: DecisionEngineState = engine.init();
  let vstate: VerifierState | null = verifier ? verifier.init() : null;

  /** A worsened action: revert it now, record the decision, and drop its lease so it is not renewed. */
  const revert = (p: RevertProposal, eventTime: number, out: DecideOutputs): void => {
    const cmd = buildRevertCommand(p, options.signing ?? null);
    state = { ...state, leases: applyCommand(state.leases, cmd, 'revert') };
    out.commands.push(cmd);
    out.decisions.push(
      makeDecision({
        policy: p.policy,
        policyVersion: p.policyVersion,
        target: p.target,
        kind: 'reverted',
        guardrail: null,
        commandId: cmd.id,
        actionType: cmd.type,
        mode: p.mode,
        reason: p.reason,
        evidence: p.evidence,
        windowStart: p.windowStart,
        windowEnd: p.windowEnd,
        eventTime,
      }),
    );
    if (verifier && vstate) vstate = verifier.onCommand(vstate, cmd).state;
  };

  return {
    engine,
    onFinals(finals, out) {
      let i = 0;
      while (i < finals.length) {
        const end = finals[i].windowEnd;
        let j = i;
        while (j < finals.length && finals[j].windowEnd === end) j++;
        const group = finals.slice(i, j);
        const r = engine.onWindow(state, group, end);
        state = r.state;
        appendAll(out.commands, r.commands);
        appendAll(out.decisions, r.decisions);
        if (verifier && vstate) {
          const outcomes = (out.outcomes ??= []);
          // As onCommand for each command in turn (whose eviction reverts are not acted on here either).
          const c = verifier.onCommands(vstate, r.commands);
          vstate = c.state;
          appendAll(outcomes, c.outcomes);
          const v = verifier.onWindow(vstate, group, end);
          vstate = v.state;
          appendAll(outcomes, v.outcomes);
          for (const p of v.reverts) revert(p, end, out);
        }
        i = j;
      }
    },
    onControl(control, out) {
      const r = engine.onControl(state, control);
      state = r.state;
      appendAll(out.decisions, r.decisions);
      return r.refused;
    },
    state: () => ({ engine: state, verifier: vstate }),
    restore(s) {
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
