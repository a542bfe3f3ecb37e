/**
 * `homeostat demo --brokers`: every chosen scenario with remediation on through the real
 * topics (lockstep.ts), next to the same scenario with remediation off and the same seed.
 *
 * The off runs stay in-process: with the policies in shadow nothing reaches the simulated
 * system, so the transport cannot change them, and the demo stays within a couple of
 * minutes. Each on run is also run in-process and compared (compare.ts): the lockstep is
 * built to make the two identical, and the demo says whether they were.
 */
import type { Report } from '../report';
import {
  SCENARIOS,
  pairsReport,
  prepareScenario,
  runScenario,
  type ScenarioName,
  type ScenarioPair,
  type ScenarioResult,
} from '../sim';
import { compareResults } from './compare';
import { runThroughKafka, type KafkaRunOptions, type KafkaRunStats } from './lockstep';

export interface KafkaDemoOptions extends Omit<KafkaRunOptions, 'runId'> {
  seed: number;
  scenarios?: readonly ScenarioName[];
  durationMs?: number;
  runId: string;
}

export interface KafkaScenarioRun extends ScenarioPair {
  /** The on run in-process, for comparison. */
  inProcess: ScenarioResult;
  /** Differences between `on` (through Kafka) and `inProcess`; empty when identical. */
  differences: string[];
  stats: KafkaRunStats;
}

export async function runDemoThroughKafka(
  opts: KafkaDemoOptions,
): Promise<{ runs: KafkaScenarioRun[]; report: Report }> {
  const base = { seed: opts.seed, durationMs: opts.durationMs };
  // In-process first (a second or two): a bad option fails before any topic is created.
  const local = (opts.scenarios ?? SCENARIOS).map((scenario) => ({
    scenario,
    off: runScenario(scenario, { ...base, remediation: false }),
    inProcess: runScenario(scenario, { ...base, remediation: true }),
  }));
  const runs: KafkaScenarioRun[] = [];
  for (const { scenario, off, inProcess } of local) {
    const { result: on, stats } = await runThroughKafka(
      prepareScenario(scenario, { ...base, remediation: true }),
      opts,
    );
    runs.push({ scenario, off, on, inProcess, differences: compareResults(on, inProcess), stats });
  }
  const where = `${opts.prefix}.${opts.runId}.<scenario>.*`;
  const report = pairsReport(
    runs,
    `simulation (seed ${opts.seed}): remediation on through Kafka (${opts.brokers.join(',')}, topics ${where}): ` +
      `simulated systems → telemetry topic → homeostat runner → actions topic → executor SDK; remediation off in-process`,
  );
  report.summary?.notes?.push(
    `On: through the real topics on ${opts.brokers.join(',')} (telemetry, actions, action-results under ${where}), in ` +
      `lockstep with simulated time. Off: in-process (shadow mode applies nothing).`,
  );
  return { runs, report };
}
