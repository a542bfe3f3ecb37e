/**
 * Applying homeostat's `retry_policy.set` / `retry_policy.revert` commands to a retrier.
 *
 * Commands are leases (DESIGN.md, "Commands are leases"): a `set` changes the policy only
 * until its `expiresAt`, and the retrier reverts by itself when the lease lapses
 * un-renewed — so a dead or partitioned homeostat leaves clients on their own baseline
 * policy, never stuck on an emergency one. Renewing is sending `set` again with a later
 * expiry.
 *
 * The command shape here is the minimal subset of the command record
 * (schemas/command.avsc) a client needs; an executor maps its decoded record onto it.
 */
import { ConfigError, InputError } from '../errors';
import type { JitterStrategy } from './backoff';
import type { RetryPolicy } from './policy';
import type { Retrier } from './retrier';

export const RETRY_POLICY_SET = 'retry_policy.set';
export const RETRY_POLICY_REVERT = 'retry_policy.revert';

/**
 * Fields a command may set. `null` means "not set" (how an Avro optional field decodes).
 * Each field may also arrive under the command record's own name (`retryBaseMs`, …, see
 * schemas/command.avsc and src/model/command.ts), so an executor can pass a decoded
 * `Command` straight in; that record's fields of other families must then be null, and
 * its `extra` string map is not read.
 */
export interface RetryPolicyCommandParams {
  strategy?: JitterStrategy | null;
  baseMs?: number | null;
  capMs?: number | null;
  maxAttempts?: number | null;
  budgetRatio?: number | null;
  budgetFloorPerSec?: number | null;
  budgetTtlMs?: number | null;
  retryStrategy?: JitterStrategy | null;
  retryBaseMs?: number | null;
  retryCapMs?: number | null;
  retryMaxAttempts?: number | null;
  retryBudgetRatio?: number | null;
  retryBudgetFloorPerSec?: number | null;
  retryBudgetTtlMs?: number | null;
  extra?: Record<string, string>;
}

export interface RetryPolicyCommand {
  /** `retry_policy.set` or `retry_policy.revert`. */
  type: string;
  params: RetryPolicyCommandParams;
  /** Lease expiry on the retrier's clock (epoch ms). A `revert` ignores it. */
  expiresAt: number;
}

export interface RetryPolicyCommandResult {
  /**
   * - `applied`: a set is in force until `expiresAt`.
   * - `reverted`: the baseline policy is in force.
   * - `expired`: the set arrived after its own expiry and was ignored (a late or replayed
   *   command must not override what is in force now — nor revert it).
   */
  outcome: 'applied' | 'reverted' | 'expired';
  /** The policy in force after the command. */
  policy: Readonly<RetryPolicy>;
  expiresAt?: number;
}

type PolicyParamKey = Exclude<keyof RetryPolicyCommandParams, 'extra' | `retry${string}`>;

const PARAM_KEYS: readonly PolicyParamKey[] = [
  'strategy',
  'baseMs',
  'capMs',
  'maxAttempts',
  'budgetRatio',
  'budgetFloorPerSec',
  'budgetTtlMs',
];

/** The command record's name for each field (schemas/command.avsc prefixes them with the family). */
const RECORD_NAMES: Readonly<Record<PolicyParamKey, keyof RetryPolicyCommandParams>> = {
  strategy: 'retryStrategy',
  baseMs: 'retryBaseMs',
  capMs: 'retryCapMs',
  maxAttempts: 'retryMaxAttempts',
  budgetRatio: 'retryBudgetRatio',
  budgetFloorPerSec: 'retryBudgetFloorPerSec',
  budgetTtlMs: 'retryBudgetTtlMs',
};

/** Keys that may be present without being read: the record's string map of untyped parameters. */
const IGNORED_KEYS: readonly string[] = ['extra'];

/**
 * Apply one command. Throws InputError (code INVALID_FIELD, naming the field) when the
 * command cannot be applied — unknown type, unknown parameter, value out of bounds — and
 * leaves the policy untouched in that case.
 */
export function applyRetryPolicyCommand(retrier: Retrier, command: RetryPolicyCommand): RetryPolicyCommandResult {
  if (command.type === RETRY_POLICY_REVERT) {
    return { outcome: 'reverted', policy: retrier.revert() };
  }
  if (command.type !== RETRY_POLICY_SET) {
    throw new InputError(
      'INVALID_FIELD',
      `command type ${JSON.stringify(command.type)} is not a retry policy command; expected ${RETRY_POLICY_SET} or ${RETRY_POLICY_REVERT}`,
      { field: 'type' },
    );
  }
  const { expiresAt } = command;
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
    throw new InputError(
      'INVALID_FIELD',
      `${RETRY_POLICY_SET}: expiresAt is ${String(expiresAt)}; it must be a finite epoch-ms time`,
      {
        field: 'expiresAt',
      },
    );
  }
  const patch = toPatch(command.params);
  if (expiresAt <= retrier.now()) {
    return { outcome: 'expired', policy: retrier.policy(), ...leaseExpiry(retrier) };
  }
  try {
    const policy = retrier.setPolicy(patch, { expiresAt });
    return { outcome: 'applied', policy, expiresAt };
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new InputError('INVALID_FIELD', `${RETRY_POLICY_SET} rejected:\n  - ${err.issues.join('\n  - ')}`, {
        field: 'params',
        cause: err,
      });
    }
    throw err;
  }
}

function leaseExpiry(retrier: Retrier): { expiresAt?: number } {
  const lease = retrier.lease();
  return lease === undefined ? {} : { expiresAt: lease.expiresAt };
}

/**
 * Keep the fields that are set. A parameter this client does not know is refused rather
 * than ignored: half-applying a command while reporting success would mislead the policy
 * that verifies its effect.
 */
function toPatch(params: RetryPolicyCommandParams | null | undefined): Partial<RetryPolicy> {
  if (params === null || params === undefined) return {};
  if (typeof params !== 'object') {
    throw new InputError('INVALID_FIELD', `${RETRY_POLICY_SET}: params must be an object, got ${typeof params}`, {
      field: 'params',
    });
  }
  const raw = params as Record<string, unknown>;
  const known = new Set<string>([...PARAM_KEYS, ...Object.values(RECORD_NAMES), ...IGNORED_KEYS]);
  const isSet = (k: string): boolean => raw[k] !== null && raw[k] !== undefined;
  const unknown = Object.keys(raw).filter((k) => !known.has(k) && isSet(k));
  if (unknown.length > 0) {
    throw new InputError(
      'INVALID_FIELD',
      `${RETRY_POLICY_SET}: unknown parameter(s) ${unknown.join(', ')}; this client understands ${PARAM_KEYS.join(', ')} (or ` +
        `their ${Object.values(RECORD_NAMES).join(', ')} record names)`,
      { field: `params.${unknown[0]}` },
    );
  }
  for (const key of PARAM_KEYS) {
    const alias = RECORD_NAMES[key];
    if (isSet(key) && isSet(alias) && raw[key] !== raw[alias]) {
      throw new InputError(
        'INVALID_FIELD',
        `${RETRY_POLICY_SET}: ${key} (${String(raw[key])}) and ${alias} (${String(raw[alias])}) disagree; set only one of them`,
        { field: `params.${key}` },
      );
    }
  }
  // Values are still untyped here: setPolicy validates every one of them before use.
  const patch: Record<string, unknown> = {};
  for (const key of PARAM_KEYS) {
    const value = isSet(key) ? raw[key] : raw[RECORD_NAMES[key]];
    if (value !== null && value !== undefined) patch[key] = value;
  }
  return patch;
}
