/** Builders for the verifier tests: signals of window i, commands issued at a window's end, a driver. */
import { buildCommand } from '../../../src/actions/build';
import { completeParams } from '../../../src/actions/params';
import type { SigningKey } from '../../../src/actions/signing';
import type { Command, CommandType, Evidence, Mode } from '../../../src/model/command';
import type { WindowSignal } from '../../../src/model/signal';
import type { OutcomeRecord } from '../../../src/codec/records';
import type { RevertProposal, Verifier, VerifierState } from '../../../src/verify';
import { testSigningKey } from '../../helpers/keys';

export const W = 10_000;
export const T0 = 1_700_000_000_000;
/** Window i spans [T0 + i·W, T0 + (i+1)·W); its end is the event time that closes it. */
export const end = (i: number) => T0 + (i + 1) * W;

export const KEY: SigningKey = testSigningKey('k1', 5);

export interface SigInput {
  metric: string;
  value: number;
  i: number;
  source?: string;
  scope?: string;
  tags?: Record<string, string>;
  partial?: boolean;
}

export function sig(s: SigInput): WindowSignal {
  const scope = s.scope ?? 'series';
  const tags = s.tags ?? {};
  const source = s.source ?? '';
  const v = s.value;
  return {
    scope,
    key: `${scope === 'series' ? source : scope}|${s.metric}|${Object.entries(tags)
      .map(([k, x]) => `${k}=${x}`)
      .join(',')}`,
    source,
    metric: s.metric,
    tags,
    windowStart: T0 + s.i * W,
    windowEnd: end(s.i),
    count: 10,
    sum: v * 10,
    min: v,
    max: v,
    mean: v,
    ratePerSec: v,
    p50: v,
    p90: v,
    p99: v,
    p999: v,
    ewma: v,
    trend: 0,
    partial: s.partial ?? false,
    partitions: [0],
  };
}

/** A worker's queue depth in window i. */
export const depth = (worker: string, i: number, value: number) =>
  sig({ metric: 'queue.depth', value, i, source: worker });

export interface CmdInput {
  target: string;
  /** Issued at the end of window i (the triggering window). */
  i: number;
  type?: CommandType;
  mode?: Mode;
  policy?: string;
  policyVersion?: string;
  reason?: string;
  evidence?: Evidence[];
  timeoutMs?: number;
}

export function cmd(c: CmdInput, signing: SigningKey | null = null): Command {
  const type = c.type ?? 'query_timeout.set';
  return buildCommand(
    {
      policy: c.policy ?? 'timeouts',
      policyVersion: c.policyVersion ?? 'v1',
      target: c.target,
      type,
      params: type.endsWith('.revert') ? completeParams({}) : completeParams({ timeoutMs: c.timeoutMs ?? 500 }),
      mode: c.mode ?? 'enforce',
      reason: c.reason ?? 'overloaded',
      evidence: c.evidence ?? [{ signal: 'queue.depth:mean', value: 80, threshold: 50, comparison: '>' }],
      windowStart: T0 + c.i * W,
      windowEnd: end(c.i),
      issuedAt: end(c.i),
      leaseMs: 3 * W,
    },
    signing,
  );
}

export interface Collected {
  state: VerifierState;
  outcomes: OutcomeRecord[];
  reverts: RevertProposal[];
}

/**
 * Drives a verifier the way the decision stage does, window by window: first the commands
 * issued at the window's end (`commandsAt(i)`), then the window's signals (`signalsAt(i)`).
 */
export function drive(
  v: Verifier,
  windows: number,
  signalsAt: (i: number) => WindowSignal[],
  commandsAt: (i: number) => Command[] = () => [],
  start?: VerifierState,
  from = 0,
): Collected {
  let state = start ?? v.init();
  const outcomes: OutcomeRecord[] = [];
  const reverts: RevertProposal[] = [];
  for (let i = from; i < from + windows; i++) {
    for (const c of commandsAt(i)) {
      const r = v.onCommand(state, c);
      state = r.state;
      outcomes.push(...r.outcomes);
      reverts.push(...r.reverts);
    }
    const r = v.onWindow(state, signalsAt(i), end(i));
    state = r.state;
    outcomes.push(...r.outcomes);
    reverts.push(...r.reverts);
  }
  return { state, outcomes, reverts };
}

/** Deep-freezes a value so that any mutation by the code under test throws. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const k of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[k]);
  }
  return value;
}
