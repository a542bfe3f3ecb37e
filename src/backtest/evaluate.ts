/**
 * One grid point through the replay core: the base config with the point applied to one
 * policy, every labelled series replayed together (one partition each, merged by event time,
 * as `homeostat report --replay-input` does), and the policy's actions per series' target.
 * Deterministic: no clock, no randomness; commands are unsigned (signatures do not change
 * decisions).
 */
import type { Telemetry } from '../model/telemetry';
import type { HomeostatConfig } from '../config/homeostat-config';
import { actionsFromDecisions } from '../replay/actions';
import { mergeByEventTime } from '../replay/merge';
import { replayRecordsSync } from '../replay/replay';
import type { IncidentWindow } from '../replay/score';
import { replaySetupFromConfig } from '../replay/setup';
import { applyPoint, type GridPoint } from './grid';
import type { SeriesOutcome } from './study';

export interface LabelledRecords {
  /** Series name = the target its actions are scored for (the import's source). */
  series: string;
  records: readonly Telemetry[];
  windows: readonly IncidentWindow[];
}

export interface PointInput {
  config: HomeostatConfig;
  /** Index of the swept policy in config.policies. */
  policyIndex: number;
  point: GridPoint;
  series: readonly LabelledRecords[];
}

/** The config a point stands for (also what `backtest --out-config` writes for the chosen one). */
export function configForPoint(config: HomeostatConfig, policyIndex: number, point: GridPoint): HomeostatConfig {
  const policies = config.policies.map((p, i) => (i === policyIndex ? applyPoint(p, point) : p));
  return { ...config, policies };
}

export function evaluatePoint(input: PointInput): SeriesOutcome[] {
  const config = configForPoint(input.config, input.policyIndex, input.point);
  const partitions = input.series.map((_, i) => i);
  const setup = replaySetupFromConfig(config, { partitions, env: {} });
  const policy = setup.policies[input.policyIndex].name;
  const inputs = input.series.map((s, partition) => s.records.map((record, offset) => ({ partition, offset, record })));
  const result = replayRecordsSync(mergeByEventTime(inputs), setup);
  const actions = actionsFromDecisions(result.decisions, { policies: [policy] });
  const byTarget = new Map<string, number[]>();
  for (const a of actions) {
    let list = byTarget.get(a.target);
    if (list === undefined) byTarget.set(a.target, (list = []));
    list.push(a.time);
  }
  return input.series.map((s) => ({ series: s.series, windows: s.windows, actions: byTarget.get(s.series) ?? [] }));
}
