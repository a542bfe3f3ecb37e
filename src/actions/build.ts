/**
 * Builds a command from what a policy asked for, once the guardrails let it through and
 * the mode is known. Pure: times are event times passed in.
 */
import type { Command, CommandParams, CommandType, Evidence, Mode } from '../model/command';
import { commandId } from './command-id';
import { INTEGER_PARAM_KEYS, NUMERIC_PARAM_KEYS, emptyParams, familyOf, isRevertType } from './params';
import { signCommand, type SigningKey } from './signing';

export interface CommandSpec {
  policy: string;
  policyVersion: string;
  target: string;
  type: CommandType;
  params: CommandParams;
  mode: Mode;
  reason: string;
  evidence: readonly Evidence[];
  windowStart: number;
  windowEnd: number;
  /** Event time of the window end that triggered the command. */
  issuedAt: number;
  /** Lease length; expiresAt = issuedAt + leaseMs. Reverts carry it too (a stale revert is moot: the lease lapsed). */
  leaseMs: number;
}

/**
 * Parameters as they go on the wire: reverts carry none; long/int fields (ms, attempts)
 * are rounded to integers, as schemas/command.avsc types them; extra keys are copied.
 */
export function wireParams(type: CommandType, params: CommandParams): CommandParams {
  if (isRevertType(type)) return emptyParams();
  const out: CommandParams = { ...params, extra: { ...params.extra } };
  for (const k of NUMERIC_PARAM_KEYS) {
    const v = out[k];
    if (v !== null && INTEGER_PARAM_KEYS.has(k)) out[k] = Math.round(v);
  }
  return out;
}

/** The command for `spec`, with its deterministic id; signed when a key is given, else keyId/signature ''. */
export function buildCommand(spec: CommandSpec, signing: SigningKey | null): Command {
  const params = wireParams(spec.type, spec.params);
  const id = commandId({
    policy: spec.policy,
    policyVersion: spec.policyVersion,
    target: spec.target,
    windowStart: spec.windowStart,
    windowEnd: spec.windowEnd,
    type: spec.type,
    params,
  });
  const cmd: Command = {
    id,
    type: spec.type,
    target: spec.target,
    params,
    mode: spec.mode,
    policy: spec.policy,
    policyVersion: spec.policyVersion,
    reason: spec.reason,
    evidence: spec.evidence.map((e) => ({ ...e })),
    windowStart: spec.windowStart,
    windowEnd: spec.windowEnd,
    issuedAt: spec.issuedAt,
    expiresAt: spec.issuedAt + spec.leaseMs,
    keyId: '',
    signature: '',
    audience: signing?.audienceOf?.(spec.policy, familyOf(spec.type)) ?? familyOf(spec.type),
  };
  return signing ? signCommand(cmd, signing) : cmd;
}
