/**
 * The uninterrupted run a faulty run is compared with: the same records (read back from the
 * telemetry topic, so exactly what the processor saw) through the same pure pipeline the
 * runner drives — decoder, createProcessor, and the decision path `homeostat run` builds
 * (src/compose/decision-path.ts) — with no Kafka, no restart and no failure. Output is
 * encoded as the runner encodes it (JSON outputs), so records can be compared byte for byte.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRecordCodec, createTelemetryDecoder, type OutcomeRecord, type SchemaResolver } from '../../../src/codec';
import type { ErrorCode } from '../../../src/errors';
import type { Command } from '../../../src/model/command';
import type { Decision } from '../../../src/model/decision';
import {
  createProcessor,
  emptyOutputs,
  type ProcessorCounters,
  type ProcessorInput,
  type ProcessorOutputs,
} from '../../../src/pipeline/processor';
import { emptyGatherOutputs } from '../../../src/pipeline/gather';
import { createSharedPipeline } from '../../helpers/shared-pipeline';
import { buildDecisionPath } from '../../../src/compose/decision-path';
import type { HomeostatConfig } from '../../../src/config/homeostat-config';
import { engineConfigFrom } from '../../../src/config/resolve-engine';
import type { ReadRecord } from './kafka';
import type { SigningKey } from '../../../src/actions';

export interface ReferenceResult {
  /** `key \0 value` of every signal record, sorted. */
  signals: Buffer[];
  commands: Command[];
  decisions: Decision[];
  /** `key \0 value` of every command / decision record, sorted. */
  commandBytes: Buffer[];
  decisionBytes: Buffer[];
  outcomeBytes: Buffer[];
  counters: ProcessorCounters;
  /** Dead letters by reason code. */
  deadByCode: Map<ErrorCode, number>;
}

export interface ReferenceOptions {
  config: HomeostatConfig;
  partitions: number;
  signing: SigningKey;
  resolver?: SchemaResolver;
  /** Records taken from each partition in turn (the runner's batches, roughly). Default 500. */
  chunk?: number;
}

export function recordBytes(key: Buffer | string | null, value: Buffer | null): Buffer {
  const k = key === null ? Buffer.alloc(0) : Buffer.isBuffer(key) ? key : Buffer.from(key);
  return Buffer.concat([k, Buffer.from([0]), value ?? Buffer.alloc(0)]);
}

export function sortedBytes(records: { key: Buffer | null; value: Buffer | null }[]): Buffer[] {
  return records.map((r) => recordBytes(r.key, r.value)).sort(Buffer.compare);
}

/**
 * With `runner.scaleOut` the reference is the shared topology without Kafka: one processor
 * per partition, each chunk's outputs and mark handed to stage two (test/helpers/shared-pipeline.ts).
 */
export async function referenceRun(records: readonly ReadRecord[], o: ReferenceOptions): Promise<ReferenceResult> {
  const { config } = o;
  const engine = engineConfigFrom(config);
  const sharedPipeline = config.runner.scaleOut ? createSharedPipeline(engine, o.partitions) : undefined;
  const single = createProcessor({ engine, partitionCount: o.partitions });
  const processor = {
    step: (input: ProcessorInput, out: ProcessorOutputs): void => {
      if (!sharedPipeline) return single.step(input, out);
      // The shared pipeline routes by partition; assignment and backlog are per-partition engines' own.
      if (input.kind === 'record' || input.kind === 'invalid') sharedPipeline.step(input.partition, input, out);
    },
    counters: (): ProcessorCounters => {
      if (!sharedPipeline) return single.counters();
      const sum = single.counters();
      for (const k of Object.keys(sum) as (keyof ProcessorCounters)[]) sum[k] = 0;
      for (let p = 0; p < o.partitions; p++) {
        const c = sharedPipeline.processor(p).counters();
        for (const k of Object.keys(sum) as (keyof ProcessorCounters)[]) sum[k] += c[k];
      }
      return sum;
    },
  };
  const decoder = createTelemetryDecoder({ resolver: o.resolver, limits: config.limits });
  // Built as `homeostat run` builds it (src/compose/decision-path.ts).
  const { stage } = buildDecisionPath(config, { signing: o.signing });
  const signalCodec = createRecordCodec('signal');
  const commandCodec = createRecordCodec('command');
  const decisionCodec = createRecordCodec('decision');
  const outcomeCodec = createRecordCodec('outcome');
  const outcomes: OutcomeRecord[] = [];
  const all: ProcessorOutputs = emptyOutputs();
  const commands: Command[] = [];
  const decisions: Decision[] = [];
  const deadByCode = new Map<ErrorCode, number>();

  processor.step({ kind: 'assign', partitions: [...Array(o.partitions).keys()] }, emptyOutputs());
  const queues = [...Array(o.partitions).keys()].map((p) => records.filter((r) => r.partition === p));
  for (let p = 0; p < o.partitions; p++)
    processor.step({ kind: 'backlog', partition: p, backlog: queues[p].length > 0 }, emptyOutputs());
  const next = queues.map(() => 0);
  const chunk = o.chunk ?? 500;
  while (queues.some((q, p) => next[p] < q.length)) {
    for (let p = 0; p < o.partitions; p++) {
      const q = queues[p];
      if (next[p] >= q.length) continue;
      const out = emptyOutputs();
      const end = Math.min(q.length, next[p] + chunk);
      for (; next[p] < end; next[p]++) {
        const m = q[next[p]];
        let r = decoder.decodeSync(m.value);
        if (r.status === 'schema-miss') {
          await decoder.loadSchema(r.schemaId);
          r = decoder.decodeSync(m.value);
        }
        if (r.status === 'ok') processor.step({ kind: 'record', partition: p, offset: m.offset, record: r.value }, out);
        else if (r.status === 'invalid')
          processor.step(
            {
              kind: 'invalid',
              partition: p,
              offset: m.offset,
              code: r.error.code,
              message: r.error.message,
              field: r.error.field,
            },
            out,
          );
        else
          processor.step(
            {
              kind: 'invalid',
              partition: p,
              offset: m.offset,
              code: 'UNKNOWN_SCHEMA_ID',
              message: `schema id ${r.schemaId} is not in the registry`,
            },
            out,
          );
      }
      processor.step({ kind: 'backlog', partition: p, backlog: next[p] < q.length }, out);
      if (sharedPipeline) {
        // Stage one's outputs go to stage two, which releases what is complete.
        const released = emptyGatherOutputs();
        sharedPipeline.deliver(sharedPipeline.commit(p, next[p]), released);
        out.published = released.published;
        out.finals = released.finals;
      }
      all.published.push(...out.published);
      all.dead.push(...out.dead);
      const d = { commands: [] as Command[], decisions: [] as Decision[], outcomes: [] as OutcomeRecord[] };
      stage.onFinals(out.finals, d);
      commands.push(...d.commands);
      decisions.push(...d.decisions);
      outcomes.push(...(d.outcomes ?? []));
    }
  }
  for (const d of all.dead) deadByCode.set(d.code, (deadByCode.get(d.code) ?? 0) + 1);
  return {
    signals: all.published.map((s) => recordBytes(s.key, signalCodec.encodeJson(s))).sort(Buffer.compare),
    commands,
    decisions,
    commandBytes: commands.map((c) => recordBytes(c.target, commandCodec.encodeJson(c))).sort(Buffer.compare),
    decisionBytes: decisions.map((d) => recordBytes(d.target, decisionCodec.encodeJson(d))).sort(Buffer.compare),
    outcomeBytes: outcomes.map((r) => recordBytes(r.target, outcomeCodec.encodeJson(r))).sort(Buffer.compare),
    counters: processor.counters(),
    deadByCode,
  };
}

/**
 * The records only in `live` and only in `reference` (as text, the first `max` of each):
 * empty both ways when the two runs wrote the same records, whatever their order.
 */
export function recordDiff(
  live: readonly Buffer[],
  reference: readonly Buffer[],
  max = 5,
): { onlyLive: string[]; onlyReference: string[]; counts: [number, number] } {
  const count = (list: readonly Buffer[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const b of list) {
      const k = b.toString('latin1');
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    return m;
  };
  const a = count(live);
  const b = count(reference);
  const only = (x: Map<string, number>, y: Map<string, number>): string[] => {
    const out: string[] = [];
    for (const [k, n] of x)
      for (let i = y.get(k) ?? 0; i < n; i++)
        out.push(Buffer.from(k, 'latin1').toString('utf8').replace('\u0000', ' => '));
    return out;
  };
  const onlyLive = only(a, b);
  const onlyReference = only(b, a);
  return {
    onlyLive: onlyLive.slice(0, max),
    onlyReference: onlyReference.slice(0, max),
    counts: [onlyLive.length, onlyReference.length],
  };
}

/** With HOMEOSTAT_FAULTS_DUMP=<dir>, writes both sides of a comparison there (one record per line) for a post-mortem. */
export function dumpForPostMortem(name: string, live: readonly Buffer[], reference: readonly Buffer[]): void {
  const dir = process.env.HOMEOSTAT_FAULTS_DUMP;
  if (!dir) return;
  const text = (list: readonly Buffer[]): string =>
    list.map((b) => b.toString('utf8').replace('\u0000', '\t')).join('\n');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.live.txt`), text(live));
  writeFileSync(join(dir, `${name}.reference.txt`), text(reference));
}
