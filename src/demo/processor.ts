/**
 * The processor of a demo run: the same assembly as `homeostat run` (src/cli/run.ts) —
 * createRunner consuming the telemetry topic, the decision stage in its transactions
 * through the decision extension (commands to the actions topic, decisions, the policies'
 * snapshot), signed commands — configured with the scenario's engine, policies and
 * guardrails and the mode of the run, on the run's own topics.
 *
 * Two choices differ from `homeostat run`, both so that the run decides exactly as the
 * in-process loop it is compared with:
 * - no verifier in the decision stage: the in-process loop has none (src/sim/loop.ts calls
 *   the decision engine directly), and a verifier can add `.revert` commands of its own;
 * - no control reader and no HTTP server: nothing sends control records to a demo, and the
 *   demo prints its own progress.
 *
 * What the stage decides is observed (onOutputs) to build the run's record — finals,
 * commands, decisions, windows decided — as the in-process loop records them.
 */
import type { SigningKey } from '../actions';
import { createConfiguredDecisionExtension } from '../kafka/decide-driver';
import { createRegistryResolver } from '../kafka/registry';
import { createRunner, type Runner } from '../kafka/processor-driver';
import type { Command } from '../model/command';
import type { Decision } from '../model/decision';
import type { WindowSignal } from '../model/signal';
import type { HomeostatConfig } from '../ops/config';
import { engineConfigFrom } from '../ops/engine-config';
import type { Logger } from '../ops/logger';
import { createDecisionStage } from '../pipeline/decide';
import { createDecisionEngine, createPolicies } from '../policies';

export interface DemoProcessor {
  readonly runner: Runner;
  /** Final signals of every committed batch, in order. */
  finals(): readonly WindowSignal[];
  commands(): readonly Command[];
  decisions(): readonly Decision[];
  /** Decision-engine evaluations: one per run of equal window end in a batch's finals (as the stage groups them). */
  windowsDecided(): number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function createDemoProcessor(
  config: HomeostatConfig,
  signing: SigningKey,
  logger: Logger,
): Promise<DemoProcessor> {
  const engine = engineConfigFrom(config);
  const decisionEngine = createDecisionEngine({
    policies: createPolicies(config.policies),
    guardrails: config.guardrails,
    modeOverride: config.mode ?? null,
    signing,
  });
  const stage = createDecisionStage(decisionEngine, { signing });
  const resolver = config.actions.format === 'avro' ? createRegistryResolver(config.registry) : undefined;
  const finals: WindowSignal[] = [];
  const commands: Command[] = [];
  const decisions: Decision[] = [];
  let windowsDecided = 0;
  const extension = await createConfiguredDecisionExtension(config, {
    stage,
    resolver,
    logger,
    onOutputs(batchFinals, batchCommands, batchDecisions) {
      finals.push(...batchFinals);
      commands.push(...batchCommands);
      decisions.push(...batchDecisions);
      for (let i = 0; i < batchFinals.length; i++)
        if (i === 0 || batchFinals[i].windowEnd !== batchFinals[i - 1].windowEnd) windowsDecided++;
    },
  });
  await extension.restore();
  const runner = createRunner({
    extension,
    config,
    engine,
    limits: config.limits,
    resolver,
    logger,
    instanceId: '0',
    maxAheadMs: config.runner.maxAheadMs,
  });
  return {
    runner,
    finals: () => finals,
    commands: () => commands,
    decisions: () => decisions,
    windowsDecided: () => windowsDecided,
    start: () => runner.start(),
    stop: () => runner.stop(),
  };
}
