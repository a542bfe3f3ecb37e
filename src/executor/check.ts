/**
 * The pure gate every command passes before an executor may act on it. No clock, no I/O:
 * `now` and the seen-set lookup come in through the context, so the same command and
 * context always give the same verdict.
 *
 * Order matters:
 * 1. the signature first — nothing in an unverified command (not even its id) is trusted,
 *    so a forged copy of a real id can neither be reported as a duplicate nor poison the
 *    seen-set;
 * 2. the seen-set next — a command id is handled once, whatever else is true of it now;
 * 3. then the audience and the lease length (a genuine command for another executor group,
 *    or a lease longer than this executor allows, is refused),
 * 4. then freshness, target, bounds and the executor's own validation, so that a shadow
 *    command is reported `shadowed` only when it would really have been applied.
 */
import { NUMERIC_PARAM_KEYS, isRevertType, verifyCommand, type Keyring, type VerifyFailure } from '../actions';
import type { ActionStatus } from '../codec';
import type { Command, CommandType } from '../model/command';
import type { ParamBounds, SeenEntry, TargetAllowList, ValidateFn } from './types';

export interface CheckContext {
  types: ReadonlySet<CommandType>;
  targets?: TargetAllowList;
  keyring: Keyring;
  audiences: ReadonlySet<string>;
  maxLeaseMs: number;
  /** Executor wall clock, epoch ms. */
  now: number;
  maxClockSkewMs: number;
  bounds?: ParamBounds;
  seen: (commandId: string) => SeenEntry | undefined;
  validate?: ValidateFn;
}

export type CheckVerdict =
  | { ok: true }
  | {
      ok: false;
      status: ActionStatus;
      detail: string;
      /** The signature verified: the id is genuine and may enter the seen-set. */
      authentic: boolean;
    };

export const INTERRUPTED_DETAIL = 'interrupted during apply; not retried (at most once)';

export function targetAllowed(targets: TargetAllowList | undefined, target: string): boolean {
  if (targets === undefined) return true;
  return typeof targets === 'function' ? targets(target) : targets.includes(target);
}

/** The first parameter outside its bounds, as a message; undefined when all are inside. */
export function boundsViolation(cmd: Command, bounds: ParamBounds | undefined): string | undefined {
  if (bounds === undefined || isRevertType(cmd.type)) return undefined;
  for (const key of NUMERIC_PARAM_KEYS) {
    const range = bounds[key];
    const value = cmd.params[key];
    if (range === undefined || value === null) continue;
    // A NaN compares false with everything: test for "inside" so that it is rejected too.
    if (!(value >= range[0] && value <= range[1])) {
      return `${key} ${value} is outside the executor's bounds [${range[0]}, ${range[1]}]`;
    }
  }
  return undefined;
}

/** The executor's own validation; one that throws rejects the command instead of stalling the partition. */
function validated(cmd: Command, validate: ValidateFn | undefined): string | undefined {
  try {
    return validate?.(cmd);
  } catch (err) {
    return `validate threw: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function signatureFailure(cmd: Command, reason: VerifyFailure, detail: string | undefined): string {
  switch (reason) {
    case 'unsigned':
      return 'the command is not signed';
    case 'unknown-key':
      return `key id ${JSON.stringify(String(cmd.keyId).slice(0, 64))} is not in the executor's keyring`;
    case 'malformed':
      return `the command cannot be encoded for verification, so it cannot have been signed (${detail ?? 'unencodable field'})`;
    default:
      return 'the signature does not match the command';
  }
}

export function checkCommand(cmd: Command, ctx: CheckContext): CheckVerdict {
  if (!ctx.types.has(cmd.type)) {
    return {
      ok: false,
      status: 'rejected',
      detail: `type ${cmd.type} is not handled by this executor`,
      authentic: false,
    };
  }
  const sig = verifyCommand(cmd, ctx.keyring);
  if (!sig.ok) {
    return {
      ok: false,
      status: 'rejected',
      detail: `signature: ${sig.reason}: ${signatureFailure(cmd, sig.reason, sig.detail)}`,
      authentic: false,
    };
  }
  const seen = ctx.seen(cmd.id);
  if (seen !== undefined) {
    return seen.state === 'applying'
      ? { ok: false, status: 'failed', detail: INTERRUPTED_DETAIL, authentic: true }
      : { ok: false, status: 'duplicate', detail: `command ${cmd.id} was already handled`, authentic: true };
  }
  if (!ctx.audiences.has(cmd.audience)) {
    return {
      ok: false,
      status: 'rejected',
      detail: `audience ${JSON.stringify(cmd.audience)} is not this executor's (${[...ctx.audiences].join(', ')})`,
      authentic: true,
    };
  }
  const lease = cmd.expiresAt - cmd.issuedAt;
  if (!(lease > 0 && lease <= ctx.maxLeaseMs)) {
    return {
      ok: false,
      status: 'rejected',
      detail: `lease of ${lease} ms (expiresAt − issuedAt) is outside (0, ${ctx.maxLeaseMs}] ms (maxLeaseMs)`,
      authentic: true,
    };
  }
  if (cmd.issuedAt > ctx.now + ctx.maxClockSkewMs) {
    return {
      ok: false,
      status: 'rejected',
      detail: `issued ${cmd.issuedAt - ctx.now} ms in the future of the executor's clock (max clock skew ${ctx.maxClockSkewMs} ms)`,
      authentic: true,
    };
  }
  // Strict: tolerating skew here would extend a lease past the expiry its issuer chose.
  if (cmd.expiresAt <= ctx.now) {
    return {
      ok: false,
      status: 'expired',
      detail: `expired ${ctx.now - cmd.expiresAt} ms before it was handled`,
      authentic: true,
    };
  }
  if (!targetAllowed(ctx.targets, cmd.target)) {
    return {
      ok: false,
      status: 'rejected',
      detail: `target ${JSON.stringify(cmd.target)} is not in the executor's allow-list`,
      authentic: true,
    };
  }
  const outOfBounds = boundsViolation(cmd, ctx.bounds);
  if (outOfBounds !== undefined) return { ok: false, status: 'rejected', detail: outOfBounds, authentic: true };
  const invalid = validated(cmd, ctx.validate);
  if (invalid !== undefined) return { ok: false, status: 'rejected', detail: invalid, authentic: true };
  if (cmd.mode === 'shadow') {
    return { ok: false, status: 'shadowed', detail: 'shadow mode: passed every check, not applied', authentic: true };
  }
  return { ok: true };
}
