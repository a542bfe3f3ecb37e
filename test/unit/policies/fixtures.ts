/** Builders for signals and engine runs shared by the policy and engine tests. */
import type { WindowSignal } from '../../../src/model/signal';
import {
  createDecisionEngine,
  createPolicy,
  type DecisionEngine,
  type DecisionEngineState,
} from '../../../src/policies';
import type { Command } from '../../../src/model/command';
import type { Decision } from '../../../src/model/decision';
import { testSigningKey } from '../../helpers/keys';

export const W = 10_000; // window length, ms
export const T0 = 1_700_000_000_000;

/** Window i spans [T0 + i·W, T0 + (i+1)·W). */
export const win = (i: number) => ({ windowStart: T0 + i * W, windowEnd: T0 + (i + 1) * W });

export interface SigInput {
  metric: string;
  value: number;
  i: number;
  source?: string;
  scope?: string;
  tags?: Record<string, string>;
  /** Defaults to value (a gauge read as a rate is harmless in tests). */
  ratePerSec?: number;
  partial?: boolean;
  count?: number;
}

export function sig(s: SigInput): WindowSignal {
  const scope = s.scope ?? 'series';
  const tags = s.tags ?? {};
  const tagText = Object.keys(tags)
    .sort()
    .map((k) => `${k}=${tags[k]}`)
    .join(',');
  const source = s.source ?? '';
  const v = s.value;
  return {
    scope,
    key: scope === 'series' ? `${source}|${s.metric}|${tagText}` : `${scope}|${s.metric}|${tagText}`,
    source,
    metric: s.metric,
    tags,
    ...win(s.i),
    count: s.count ?? 10,
    sum: v * 10,
    min: v,
    max: v,
    mean: v,
    ratePerSec: s.ratePerSec ?? v,
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

export interface Step {
  i: number;
  commands: Command[];
  decisions: Decision[];
  state: DecisionEngineState;
}

/** Runs windows from..from+n-1 through `engine`, signals from `signalsAt(i)`; event time = window end. */
export function run(
  engine: DecisionEngine,
  n: number,
  signalsAt: (i: number, state: DecisionEngineState) => WindowSignal[],
  start?: DecisionEngineState,
  from = 0,
): Step[] {
  let state = start ?? engine.init();
  const steps: Step[] = [];
  for (let i = from; i < from + n; i++) {
    const out = engine.onWindow(state, signalsAt(i, state), win(i).windowEnd);
    state = out.state;
    steps.push({ i, commands: out.commands, decisions: out.decisions, state });
  }
  return steps;
}

/** An engine around one policy config, enforce mode unless told, with permissive global limits. */
export function engineFor(
  policy: Record<string, unknown>,
  guardrails: Record<string, unknown> = {},
  modeOverride: 'shadow' | 'canary' | 'enforce' | null = null,
): DecisionEngine {
  return createDecisionEngine({
    policies: [createPolicy({ mode: 'enforce', ...policy })],
    guardrails,
    modeOverride,
    signing: testSigningKey('test', 22),
  });
}
