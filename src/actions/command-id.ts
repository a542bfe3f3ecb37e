/**
 * Deterministic command ids: executors de-duplicate on them, and replay must reproduce
 * them. The id covers exactly what makes two commands "the same action": who decided
 * (policy + version), on what (target), for which window, and what it asks (type +
 * params). Mode, reason and times are deliberately left out: they describe the command,
 * they do not change the action.
 */
import type { CommandParams, CommandType } from '../model/command';
import { canonicalHash } from './hash';

export interface CommandIdFields {
  policy: string;
  policyVersion: string;
  target: string;
  windowStart: number;
  windowEnd: number;
  type: CommandType;
  params: CommandParams;
}

/** Hex sha256 of the canonical JSON of the identifying fields, first 32 characters (128 bits). */
export function commandId(f: CommandIdFields): string {
  return canonicalHash(
    {
      policy: f.policy,
      policyVersion: f.policyVersion,
      target: f.target,
      windowStart: f.windowStart,
      windowEnd: f.windowEnd,
      type: f.type,
      params: f.params,
    },
    32,
  );
}
