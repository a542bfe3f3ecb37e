/**
 * The batch decoder: one Kafka record of any supported format into the processor's inputs.
 *
 * Native records (homeostat Avro/JSON) are one sample each. Foreign ones (OTLP, line
 * protocol; the ingest decoder) carry many samples, stepped together as one arrival with the
 * record's offset (commits stay per record): each is judged against the watermark as it stood
 * before the record, which then advances once (engine input `records`). `consumed` counts
 * samples (plus one per record refused whole); the refused samples of one record make one DLQ
 * record (dlq-arrival.ts).
 *
 * A schema id not in the cache is fetched from the registry with one rule for both: an outage
 * of the registry is not bad input, so the fetch is retried with backoff (loadSchemaRetrying)
 * while kafkajs's session stays alive through the batch loop's heartbeats; a batch whose
 * registry stays away fails and is read again after the reset.
 */
import type { KafkaMessage } from 'kafkajs';
import type { TelemetryDecoder, TelemetryLimits } from '../codec';
import type { DecodeResult } from '../codec/decoder-core';
import { aheadOfLogTime } from '../codec/log-time';
import { describeError, InputError } from '../errors';
import type { IngestDecoder, IngestResult } from '../ingest';
import { acceptSamples } from '../ingest/arrival';
import type { Telemetry } from '../model/telemetry';
import type { Logger } from '../ops/logger';
import type { EngineInput } from '../core';
import type { Processor, ProcessorOutputs } from '../pipeline/processor';
import type { Accounting } from './accounting';
import type { BatchDead } from './dlq-arrival';
import type { PartitionProgress } from './runner-state';
import type { SourcePartitionWatch } from './source-partitions';
import { UNDECODABLE_HEADER } from './codecs';
import { FetchedRecord } from './fetched-record';

/** What the reused record input holds between steps: nothing retained past its record's step. */
export const NO_RECORD: Telemetry = Object.freeze({ ts: 0, source: '', metric: '', value: 0, tags: Object.freeze({}) });

/** Retries of a schema fetch after the first attempt; waits 200 ms, doubling. */
export const SCHEMA_FETCH_RETRIES = 5;

/** Fetches a schema id, retrying a registry outage SCHEMA_FETCH_RETRIES times with backoff. */
export async function loadSchemaRetrying(load: () => Promise<void>, logger: Logger): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await load();
      return;
    } catch (err) {
      if (attempt >= SCHEMA_FETCH_RETRIES) throw err;
      logger.warn({ err: describeError(err), attempt }, 'schema registry unavailable; retrying');
      await new Promise((res) => setTimeout(res, 200 * 2 ** attempt));
    }
  }
}

/** A decoded record: native (one sample) or foreign (many). */
export type Decoded = DecodeResult<Telemetry> | IngestResult;

/** Where a decoded record goes: its partition's processor and bookkeeping. */
export interface FeedTarget {
  partition: number;
  proc: Processor;
  progress: PartitionProgress;
  /** Below the checkpoint: handled before the restart, re-read only to rebuild open windows. */
  restoring: boolean;
  out: ProcessorOutputs;
}

export interface BatchDecoderOptions {
  decoder: TelemetryDecoder;
  /** Decoder of foreign formats (OTLP, Influx); unset: homeostat's own Avro/JSON only. */
  ingest?: IngestDecoder;
  limits: TelemetryLimits;
  logger: Logger;
  accounting: Accounting;
  sourcePartitions: SourcePartitionWatch;
  dead: BatchDead;
}

function undecodable(why: Buffer | string | (Buffer | string)[]): InputError {
  const text = (Array.isArray(why) ? why[0] : why).toString();
  return new InputError('BATCH_UNDECODABLE', `the record's batch could not be read: ${text}`);
}

/** Steps a record refused whole (undecodable, or its schema id unknown to the registry) as one dead letter. */
function refuse(
  m: KafkaMessage,
  r: { status: 'invalid'; error: InputError } | { status: 'schema-miss'; schemaId: number },
  t: FeedTarget,
): void {
  const e =
    r.status === 'invalid'
      ? r.error
      : {
          code: 'UNKNOWN_SCHEMA_ID' as const,
          message: `schema id ${r.schemaId} is not in the registry`,
          field: undefined,
        };
  const { code, message, field } = e;
  t.proc.step({ kind: 'invalid', partition: t.partition, offset: m.offset, code, message, field }, t.out);
}

export class BatchDecoder {
  /** Wall clock when the batch in hand was fetched: bounds producer-set Kafka timestamps (log-time.ts). */
  arrival = 0;
  /**
   * The input of a native record, refilled for each: the processor and the engine read it
   * during the step and keep only its record, so one object serves the whole stream (no
   * allocation per record on the hot path).
   */
  private readonly recordInput: Extract<EngineInput, { kind: 'record' }> = {
    kind: 'record',
    partition: 0,
    offset: '',
    record: NO_RECORD,
  };

  /** The last native record's Kafka timestamp, as text and parsed (see kafkaTime). */
  private lastKafkaTimeText = '';
  private lastKafkaTime = 0;

  constructor(private readonly o: BatchDecoderOptions) {}

  /**
   * `Number(m.timestamp)`, parsed again only when the text differs from the previous record's:
   * a producer's batch usually shares one timestamp, and the record batch decoder then hands out
   * one string for it (record-batch-decoder.ts), so this is mostly a compare of references.
   */
  private kafkaTime(text: string): number {
    if (text !== this.lastKafkaTimeText) {
      this.lastKafkaTimeText = text;
      this.lastKafkaTime = Number(text);
    }
    return this.lastKafkaTime;
  }

  /** Whether records may expand to many samples (the batch loop then heartbeats by samples). */
  get foreign(): boolean {
    return this.o.ingest !== undefined;
  }

  decodeSync(m: KafkaMessage, partition: number): Decoded {
    // A placeholder for a batch the client could not inflate (codecs.ts) has no value: checked only then.
    if (m.value === null) {
      const why = m.headers?.[UNDECODABLE_HEADER];
      if (why !== undefined) return { status: 'invalid', error: undecodable(why) };
    }
    const ingest = this.o.ingest;
    if (!ingest) return this.o.decoder.decodeSync(m.value);
    return ingest.decodeSync(m.value, { partition, timestamp: Number(m.timestamp) });
  }

  /**
   * A native record's telemetry when the one-pass readers answer for it (most records), with
   * no result object; undefined when decodeSync must decide (foreign formats, bad input, a
   * schema to fetch, another writer schema).
   */
  decodeFast(m: KafkaMessage): Telemetry | undefined {
    if (this.o.ingest) return undefined;
    // Read where the fetch left it when the fast batch decoder read the record: no view of it.
    if (m instanceof FetchedRecord && m.inPlace)
      return this.o.decoder.decodeFastIn(m.valueBuffer, m.valueStart, m.valueEnd);
    return this.o.decoder.decodeFast(m.value);
  }

  /** Decodes again once the missing schema was fetched (loadSchemaRetrying); rejects when the registry stays away. */
  async afterMiss(m: KafkaMessage, partition: number, schemaId: number): Promise<Decoded> {
    const source = this.o.ingest ?? this.o.decoder;
    await loadSchemaRetrying(() => source.loadSchema(schemaId), this.o.logger);
    return this.decodeSync(m, partition);
  }

  /** Steps a decoded record into its processor; returns the samples it counted (for heartbeats). */
  step(m: KafkaMessage, r: Decoded, t: FeedTarget): number {
    return this.o.ingest
      ? this.stepForeign(m, r as IngestResult, t)
      : this.stepNative(m, r as DecodeResult<Telemetry>, t);
  }

  private stepNative(m: KafkaMessage, r: DecodeResult<Telemetry>, t: FeedTarget): number {
    if (r.status !== 'ok') {
      // Refused before a restart too, and dead-lettered then: only counted as restored now.
      if (t.restoring) this.o.accounting.restoredOne();
      else refuse(m, r, t);
      return 1;
    }
    return this.stepValue(m, r.value, t);
  }

  /** Steps a native record decoded to `value` (decodeFast, or decodeSync's ok); returns 1. */
  stepValue(m: KafkaMessage, value: Telemetry, t: FeedTarget): number {
    const ahead = aheadOfLogTime(value.ts, this.kafkaTime(m.timestamp), this.o.limits, this.arrival);
    if (ahead) {
      if (t.restoring) this.o.accounting.restoredOne();
      else refuse(m, { status: 'invalid', error: ahead }, t);
      return 1;
    }
    const { partition, proc, progress: pr, out } = t;
    const input = this.recordInput;
    input.partition = partition;
    input.offset = m.offset;
    input.record = value;
    if (value.ts > pr.maxTs) pr.maxTs = value.ts;
    if (t.restoring) {
      // Handled before the restart: rebuild open windows, emit what closes, but never
      // dead-letter or count it again.
      this.o.accounting.restoredOne();
      proc.restore(input, out);
    } else proc.step(input, out);
    input.record = NO_RECORD;
    return 1;
  }

  private stepForeign(m: KafkaMessage, r: IngestResult, t: FeedTarget): number {
    const { partition, proc, out, restoring } = t;
    if (r.status === 'ok') {
      if (r.format !== 'avro' && r.format !== 'json') this.o.dead.noteSamples(m.offset, r.values.length);
      const accepted = acceptSamples(r.values, Number(m.timestamp), this.o.limits, this.arrival, (sample, e) => {
        // Dead-lettered before a restart; the rebuilt state never held it.
        if (restoring) return;
        const { code, message, field } = e;
        proc.step({ kind: 'invalid', partition, offset: m.offset, code, message, field, record: sample }, out);
      });
      for (const s of accepted) if (s.ts > t.progress.maxTs) t.progress.maxTs = s.ts;
      this.o.sourcePartitions.see(accepted, partition);
      const input = { kind: 'records' as const, partition, offset: m.offset, records: accepted };
      if (restoring) {
        proc.restore(input, out);
        this.o.accounting.restoredOne();
      } else proc.step(input, out);
      return r.values.length;
    }
    if (!restoring) refuse(m, r, t);
    return 1;
  }
}
