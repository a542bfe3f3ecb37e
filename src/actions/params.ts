/** Helpers for command types and parameters shared by policies, guardrails and the engine. */
import type { CommandFamily, CommandParams, CommandType } from '../model/command';
import { COMMAND_FAMILIES } from '../model/command';

/** All-null parameters: what a `.revert` carries and what a `.set` starts from. */
export function emptyParams(): CommandParams {
  return {
    timeoutMs: null,
    retryStrategy: null,
    retryBaseMs: null,
    retryCapMs: null,
    retryMaxAttempts: null,
    retryBudgetRatio: null,
    retryBudgetFloorPerSec: null,
    quotaBytesPerSec: null,
    quotaRequestsPerSec: null,
    extra: {},
  };
}

/** Fills missing keys with null so that a partial object becomes a complete CommandParams. */
export function completeParams(partial: Partial<CommandParams>): CommandParams {
  return { ...emptyParams(), ...partial, extra: { ...(partial.extra ?? {}) } };
}

export function familyOf(type: CommandType): CommandFamily {
  return type.slice(0, type.indexOf('.')) as CommandFamily;
}

export function isRevertType(type: CommandType): boolean {
  return type.endsWith('.revert');
}

export function setTypeOf(family: CommandFamily): CommandType {
  return `${family}.set`;
}

export function revertTypeOf(family: CommandFamily): CommandType {
  return `${family}.revert`;
}

const TYPES = new Set<string>(COMMAND_FAMILIES.flatMap((f) => [`${f}.set`, `${f}.revert`]));

export function isCommandType(value: unknown): value is CommandType {
  return typeof value === 'string' && TYPES.has(value);
}

/** The numeric parameter keys, in the order bounds and docs list them. */
export const NUMERIC_PARAM_KEYS = [
  'timeoutMs',
  'retryBaseMs',
  'retryCapMs',
  'retryMaxAttempts',
  'retryBudgetRatio',
  'retryBudgetFloorPerSec',
  'quotaBytesPerSec',
  'quotaRequestsPerSec',
] as const;

export type NumericParamKey = (typeof NUMERIC_PARAM_KEYS)[number];

/** Keys that schemas/command.avsc types as long/int: they must be integers on the wire. */
export const INTEGER_PARAM_KEYS: ReadonlySet<NumericParamKey> = new Set<NumericParamKey>([
  'timeoutMs',
  'retryBaseMs',
  'retryCapMs',
  'retryMaxAttempts',
]);

export function sameParams(a: CommandParams, b: CommandParams): boolean {
  if (a.retryStrategy !== b.retryStrategy) return false;
  for (const k of NUMERIC_PARAM_KEYS) if (a[k] !== b[k]) return false;
  const ak = Object.keys(a.extra).sort();
  const bk = Object.keys(b.extra).sort();
  if (ak.length !== bk.length) return false;
  return ak.every((k, i) => k === bk[i] && a.extra[k] === b.extra[k]);
}
