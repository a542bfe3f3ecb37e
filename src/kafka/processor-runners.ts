/**
 * The processor as its config says. A single owner (the default): one runner over every
 * partition that also runs the policies (the extension). Scaled out (runner.scaleOut): the
 * runner is stage one over the partitions the group gives this process, and stage two — the
 * scope merge and the policies, one process of the group at a time — gets the extension
 * (docs/scale-out.md). `homeostat run` and the latency bench both build it here.
 */
import { createRunner, type Runner, type RunnerOptions } from './processor-driver';
import { createStageTwo, type StageTwo } from './gather-driver';

export interface ProcessorRunners {
  runner: Runner;
  /** Scaled out only. */
  stageTwo?: StageTwo;
  start(): Promise<void>;
  /** Stage one first: its last transactions (and marks) are written before stage two stops. */
  stop(): Promise<void>;
}

export function createProcessorRunners(o: RunnerOptions): ProcessorRunners {
  const scaleOut = o.config.runner.scaleOut;
  const stageTwo = scaleOut
    ? createStageTwo({
        config: o.config,
        engine: o.engine,
        logger: o.logger,
        metrics: o.metrics,
        extension: o.extension,
        resolver: o.resolver,
        history: o.history,
      })
    : undefined;
  const runner = createRunner(scaleOut ? { ...o, extension: undefined } : o);
  return {
    runner,
    stageTwo,
    async start() {
      await runner.start();
      await stageTwo?.start();
    },
    async stop() {
      await runner.stop();
      await stageTwo?.stop();
    },
  };
}
