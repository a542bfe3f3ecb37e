/**
 * The shared-group topology (`runner.scaleOut`) without Kafka: one processor per telemetry
 * partition (stage one, scopes not merged) whose outputs and marks are handed to stage two
 * (gather) the way the runner's transactions put them on the stage topic. Tests drive it in
 * any interleaving of partitions and compare with the single pipeline.
 */
import type { EngineConfig } from '../../src/core';
import { createGather, type Gather, type GatherInput, type GatherOutputs } from '../../src/pipeline/gather';
import {
  createProcessor,
  emptyOutputs,
  type Processor,
  type ProcessorInput,
  type ProcessorOutputs,
} from '../../src/pipeline/processor';

export interface SharedPipeline {
  readonly gather: Gather;
  processor(p: number): Processor;
  /** Steps one record of partition p; returns its stage-one outputs (dead letters included). */
  step(p: number, input: ProcessorInput, out: ProcessorOutputs): void;
  /**
   * Ends a "transaction" of partition p: its buffered signals then its mark go to the stage
   * topic (here: the returned list, in order); `next` is the next offset to read.
   */
  commit(p: number, next: number): GatherInput[];
  /** Appends stage records to the stage "topic" (offsets given in append order) and hands them to stage two. */
  deliver(records: readonly GatherInput[], out: GatherOutputs): void;
  /** Everything delivered so far, with its offsets: a stage topic to re-read after a restart. */
  readonly log: GatherInput[];
}

export function createSharedPipeline(engine: EngineConfig, partitionCount: number): SharedPipeline {
  const processors = [...Array(partitionCount).keys()].map((p) => {
    const proc = createProcessor({ engine, partitionCount, mergeScopes: false });
    proc.step({ kind: 'assign', partitions: [p] }, emptyOutputs());
    return proc;
  });
  const gather = createGather({ partitionCount, engine });
  const unsent = processors.map(() => [] as GatherInput[]);
  const maxTs = processors.map(() => -Infinity);
  let offset = 0;
  const log: GatherInput[] = [];
  return {
    gather,
    processor: (p) => processors[p],
    step(p, input, out) {
      const before = out.published.length;
      processors[p].step(input, out);
      if (input.kind === 'record' && Number.isFinite(input.record.ts) && input.record.ts > maxTs[p])
        maxTs[p] = input.record.ts;
      for (const s of out.published.slice(before)) unsent[p].push({ kind: 'signal', signal: s, offset: '' });
    },
    commit(p, next) {
      const records = unsent[p];
      unsent[p] = [];
      records.push({
        kind: 'mark',
        mark: { partition: p, wm: processors[p].watermark(), maxTs: maxTs[p], next: String(next) },
      });
      return records;
    },
    log,
    deliver(records, out) {
      for (const r of records) {
        const placed = r.kind === 'signal' ? { ...r, offset: String(offset++) } : r;
        if (r.kind !== 'signal') offset++;
        log.push(placed);
        gather.step(placed, out);
      }
    },
  };
}
