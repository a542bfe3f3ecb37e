/** Signed commands and a fake wall clock for the executor's unit tests. */
import { buildCommand, completeParams, type CommandSpec } from '../../../src/actions';
import type { Command, CommandParams, CommandType } from '../../../src/model/command';
import type { SigningKey } from '../../../src/actions';
import { testKeyring, testSigningKey } from '../../helpers/keys';

export const KEY = testSigningKey('k1', 3);
export const KEYRING = testKeyring(KEY);
export const T0 = 1_767_225_600_000; // 2026-01-01, executor wall clock in these tests

let window = 0;

/** A signed command issued at `T0` (each call a new window, hence a new id) with a 30 s lease. */
export function command(
  overrides: Partial<Omit<CommandSpec, 'params'>> & { params?: Partial<CommandParams>; type?: CommandType } = {},
  signing: SigningKey | null = KEY,
): Command {
  window++;
  const type = overrides.type ?? 'query_timeout.set';
  return buildCommand(
    {
      policy: 'adaptive-timeout',
      policyVersion: 'v1',
      target: 'worker-1',
      mode: 'enforce',
      reason: 'queue over the high watermark',
      evidence: [{ signal: 'queue.depth:mean', value: 80, threshold: 50, comparison: '>' }],
      windowStart: T0 - 10_000 * (window + 1),
      windowEnd: T0 - 10_000 * window,
      issuedAt: T0,
      leaseMs: 30_000,
      ...overrides,
      type,
      params: completeParams(overrides.params ?? (type.endsWith('.set') ? { timeoutMs: 800 } : {})),
    },
    signing,
  );
}

export interface FakeClock {
  now(): number;
  advance(ms: number): void;
  set(t: number): void;
}

export function fakeClock(start = T0): FakeClock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (v) => {
      t = v;
    },
  };
}
