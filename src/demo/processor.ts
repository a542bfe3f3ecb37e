/**
 * The processor of a demo run: the processor `homeostat run` runs (src/compose/processor.ts)
 * — the runner consuming the telemetry topic, the decision stage in its transactions through
 * the decision extension (commands to the actions topic, decisions, the policies' snapshot),
 * signed commands — configured with the scenario's engine, policies and guardrails and the
 * mode of the run, on the run's own topics (src/demo/lockstep.ts makes the config: no HTTP
 * server, the demo prints its own progress).
 *
 * Two parts are left out, both so that the run decides exactly as the in-process loop it is
 * compared with:
 * - no verifier in the decision stage: the in-process loop has none (src/sim/loop.ts calls
 *   the decision engine directly), and a verifier can add `.revert` commands of its own;
 * - no control reader: nothing sends control records to a demo.
 *
 * What the stage decides is observed (onOutputs) to build the run's record — finals,
 * commands, decisions, windows decided — as the in-process loop records them.
 */
import type { SigningKey } from '../actions';
import { buildProcessor, type ProcessorAssembly } from '../compose/processor';
import type { HomeostatConfig } from '../config/homeostat-config';
import type { Command } from '../model/command';
import type { Decision } from '../model/decision';
import type { WindowSignal } from '../model/signal';
import type { Logger } from '../ops/logger';

export interface DemoProcessor {
  readonly runner: ProcessorAssembly['runner'];
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
  const finals: WindowSignal[] = [];
  const commands: Command[] = [];
  const decisions: Decision[] = [];
  let windowsDecided = 0;
  const processor = await buildProcessor(config, {
    logger,
    signing,
    instanceId: '0',
    omit: ['verifier', 'control-reader'],
    onOutputs(batchFinals, batchCommands, batchDecisions) {
      finals.push(...batchFinals);
      commands.push(...batchCommands);
      decisions.push(...batchDecisions);
      for (let i = 0; i < batchFinals.length; i++)
        if (i === 0 || batchFinals[i].windowEnd !== batchFinals[i - 1].windowEnd) windowsDecided++;
    },
  });
  return {
    runner: processor.runner,
    finals: () => finals,
    commands: () => commands,
    decisions: () => decisions,
    windowsDecided: () => windowsDecided,
    start: async () => {
      await processor.start();
    },
    stop: () => processor.stop(),
  };
}
