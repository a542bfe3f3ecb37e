/**
 * The verification half of a decision stage's window, shared by the single stage
 * (decide.ts) and the sharded one (sharded-decide.ts) so that both verify alike: every
 * command of the window starts or ends verifications, then the window's finals are
 * observed, and each proposed revert becomes a command and a `reverted` decision.
 */
import type { SigningKey } from '../actions/signing';
import type { Command } from '../model/command';
import type { WindowSignal } from '../model/signal';
import { makeDecision } from '../policies/engine-support';
import { buildRevertCommand, type RevertProposal, type Verifier, type VerifierState } from '../verify';
import { appendAll } from './append';
import type { DecideOutputs } from './decide';

/** The revert command for a proposal, and it recorded as a decision in `out`. */
function revertCommand(p: RevertProposal, eventTime: number, signing: SigningKey | null, out: DecideOutputs): Command {
  const cmd = buildRevertCommand(p, signing);
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
  return cmd;
}

/**
 * Verifies one window: `commands` are the window's (already in `out`), `signals` its finals
 * (any subset holding every final the pending verifications read, in the window's order).
 * `dropLease` removes a reverted action's lease so that it is not renewed. Returns the new state.
 */
export function verifyWindow(
  verifier: Verifier,
  state: VerifierState,
  step: { commands: readonly Command[]; signals: readonly WindowSignal[]; eventTime: number },
  signing: SigningKey | null,
  out: DecideOutputs,
  dropLease: (cmd: Command) => void,
): VerifierState {
  let vstate = state;
  const outcomes = (out.outcomes ??= []);
  // As onCommand for each command in turn (whose eviction reverts are not acted on here either).
  const c = verifier.onCommands(vstate, step.commands);
  vstate = c.state;
  appendAll(outcomes, c.outcomes);
  const v = verifier.onWindow(vstate, step.signals, step.eventTime);
  vstate = v.state;
  appendAll(outcomes, v.outcomes);
  for (const p of v.reverts) {
    const cmd = revertCommand(p, step.eventTime, signing, out);
    dropLease(cmd);
    vstate = verifier.onCommand(vstate, cmd).state;
  }
  return vstate;
}
