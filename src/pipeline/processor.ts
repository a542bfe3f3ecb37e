/**
 * The processor's pure pipeline: decoded input → windows → stage-one partials → stage-two
 * merge → final signals, with every rejected input turned into a dead letter. The Kafka
 * runner, replay from a file and the simulator all drive this same code, so the same
 * input and config give the same outputs, live or replayed.
 */
import type { ErrorCode } from '../errors';
import type { WindowSignal } from '../model/signal';
import type { Telemetry } from '../model/telemetry';
import {
  createEngine,
  createScopeMerger,
  type EngineConfig,
  type EngineInput,
  type WindowEngineState,
  type Engine,
} from '../core';
import type { MergerState, ScopeMerger } from '../core';

export interface ProcessorConfig {
  engine: EngineConfig;
  /** Partitions of the telemetry topic: stage two completes a scope window when all are covered. */
  partitionCount: number;
  /**
   * Merge the scope partials here (default). False when this processor is one partition's
   * stage one in a shared group: its partials are published and merged by stage two
   * (src/pipeline/gather.ts), which sees every partition's.
   */
  mergeScopes?: boolean;
}

/** A record that could not be decoded or validated: routed to the DLQ with its reason. */
export interface InvalidInput {
  kind: 'invalid';
  partition: number;
  offset: string;
  code: ErrorCode;
  message: string;
  field?: string;
  /** The sample itself when it was decoded but refused (e.g. its clock is ahead of Kafka's). */
  record?: Telemetry;
}

export type ProcessorInput = EngineInput | InvalidInput;

export interface DeadLetter {
  partition: number;
  offset: string;
  code: ErrorCode;
  message: string;
  field?: string;
  record?: Telemetry;
}

export interface ProcessorOutputs {
  /** Every signal to publish on the signals topic (series finals, scope partials, scope finals), in order. */
  published: WindowSignal[];
  /** Final signals only (partial=false), in order: what policies read. */
  finals: WindowSignal[];
  dead: DeadLetter[];
  /** Keys of series evicted at the maxSeries cap (their EWMA/trend history is gone). */
  evicted?: string[];
}

/**
 * Counters behind the accounting identity checked in tests and logged by the runner:
 * consumed = aggregated + late + deadLettered. They count samples: a homeostat record is one,
 * each sample of a `records` input (an OTLP or line-protocol record) is one, and an input
 * refused whole (undecodable, too many samples) is one.
 */
export interface ProcessorCounters {
  consumed: number;
  aggregated: number;
  late: number;
  deadLettered: number;
  windowsClosed: number;
  signals: number;
  evicted: number;
  /** Stage-one partials the stage-two merger refused (late or duplicate partials). */
  scopeRejected: number;
  /** Records re-read after a restart to rebuild open windows (not in consumed). */
  restored: number;
}

export interface Processor {
  readonly engine: Engine;
  readonly merger: ScopeMerger;
  step(input: ProcessorInput, out: ProcessorOutputs): void;
  /**
   * Re-reads a record that was already handled before a restart, to rebuild the open windows
   * it feeds: windows that close are emitted, but its dead letter (if any) was written before
   * and it is not counted again (`restored` instead of consumed/aggregated/late).
   */
  restore(input: Extract<EngineInput, { kind: 'record' | 'records' }>, out: ProcessorOutputs): void;
  counters(): ProcessorCounters;
  /**
   * The EWMA/trend history (packed, signals/history.ts) behind a final signal — its series
   * or scope key's — for a checkpoint; undefined when the key is not live.
   */
  historyOf(signal: Pick<WindowSignal, 'scope' | 'key'>): Float64Array | undefined;
  /** Histories from a checkpoint: series and scope keys continue them when next created. */
  seedHistories(series: ReadonlyMap<string, Float64Array>, scopes: ReadonlyMap<string, Float64Array>): void;
  watermark(): number;
  pendingOffset(partition: number): string | number | undefined;
  seriesCount(): number;
}

export function emptyOutputs(): ProcessorOutputs {
  return { published: [], finals: [], dead: [] };
}

const LATE_REASON = (watermark: number): string =>
  `event time is behind the watermark (${new Date(watermark).toISOString()}) plus grace: ` +
  'every window it belongs to has already closed';

const SERIES_LIMIT_REASON =
  'the live-series cap (engine.maxSeries) is reached and every series has an open window; ' +
  'raise engine.maxSeries or reduce dimension tags';

type EngineOutput = ReturnType<Engine['step']>['outputs'][number];

/** The dead letter of a record the engine side-output as late or rejected. */
function deadLetterOf(o: Extract<EngineOutput, { kind: 'late' | 'rejected' }>): DeadLetter {
  if (o.kind === 'late') {
    return {
      partition: o.partition,
      offset: String(o.offset),
      code: 'LATE',
      message: LATE_REASON(o.watermark),
      record: o.record,
    };
  }
  return {
    partition: o.partition,
    offset: String(o.offset),
    code: o.reason === 'series_limit' ? 'SERIES_LIMIT' : 'INVALID_FIELD',
    message: o.reason === 'series_limit' ? SERIES_LIMIT_REASON : 'event time or value is not a finite number',
    record: o.record,
  };
}

/** Routes the merger's scope finals to `out`; returns how many partials it refused. */
function takeMerged(outputs: ReturnType<ScopeMerger['step']>['outputs'], out: ProcessorOutputs): number {
  let refused = 0;
  for (const o of outputs) {
    if (o.kind === 'signal') {
      out.published.push(o.signal);
      out.finals.push(o.signal);
    } else refused++;
  }
  return refused;
}

export function createProcessor(config: ProcessorConfig): Processor {
  const engine = createEngine(config.engine);
  const merger = createScopeMerger({
    partitionCount: config.partitionCount,
    advanceMs: config.engine.window.advanceMs,
    ewmaAlpha: config.engine.ewmaAlpha,
    trendWindows: config.engine.trendWindows,
  });
  const state: WindowEngineState = engine.init();
  let mstate: MergerState = merger.init();
  let invalid = 0;
  let mergerRejected = 0;
  /** The engine counters' share that came from restored records, subtracted in counters(). */
  const restored = { consumed: 0, aggregated: 0, late: 0, rejected: 0 };
  const scratch = emptyOutputs();
  const mergeScopes = config.mergeScopes ?? true;

  const merge = (signal: WindowSignal, out: ProcessorOutputs): void => {
    const r = merger.step(mstate, { kind: 'partial', signal });
    mstate = r.state;
    mergerRejected += takeMerged(r.outputs, out);
  };

  /**
   * The engine's outputs of one step, routed then emptied (before the next step, so that the
   * signals of a close are not held until then). Most records output nothing: they cost the
   * engine no result object and this loop nothing but the length check.
   */
  const stepped: EngineOutput[] = [];
  const route = (outputs: readonly EngineOutput[], out: ProcessorOutputs): void => {
    for (let i = 0; i < outputs.length; i++) {
      const o = outputs[i];
      switch (o.kind) {
        case 'signal':
          out.published.push(o.signal);
          if (o.signal.partial) {
            if (mergeScopes) merge(o.signal, out);
          } else out.finals.push(o.signal);
          break;
        case 'late':
        case 'rejected':
          out.dead.push(deadLetterOf(o));
          break;
        case 'evicted':
          (out.evicted ??= []).push(o.key);
          break;
      }
    }
  };

  return {
    engine,
    merger,
    step(input, out) {
      if (input.kind === 'invalid') {
        invalid++;
        out.dead.push({
          partition: input.partition,
          offset: input.offset,
          code: input.code,
          message: input.message,
          field: input.field,
          record: input.record,
        });
        return;
      }
      if (stepped.length !== 0) stepped.length = 0; // left over if a previous step threw
      engine.stepInto(state, input, stepped);
      if (stepped.length !== 0) {
        route(stepped, out);
        stepped.length = 0;
      }
      if (input.kind === 'flush') {
        const r2 = merger.step(mstate, { kind: 'flush' });
        mstate = r2.state;
        mergerRejected += takeMerged(r2.outputs, out);
      }
    },
    restore(input, out) {
      const before = engine.counters(state);
      this.step(input, scratch);
      const after = engine.counters(state);
      restored.consumed += after.consumed - before.consumed;
      restored.aggregated += after.aggregated - before.aggregated;
      restored.late += after.late - before.late;
      restored.rejected += after.rejected - before.rejected;
      out.published.push(...scratch.published);
      out.finals.push(...scratch.finals);
      scratch.published.length = 0;
      scratch.finals.length = 0;
      scratch.dead.length = 0;
    },
    counters() {
      const c = engine.counters(state);
      return {
        consumed: c.consumed - restored.consumed + invalid,
        aggregated: c.aggregated - restored.aggregated,
        late: c.late - restored.late,
        deadLettered: c.rejected - restored.rejected + invalid,
        windowsClosed: c.windowsClosed,
        signals: c.signals + merger.counters(mstate).finals,
        evicted: c.evicted,
        scopeRejected: mergerRejected,
        restored: restored.consumed,
      };
    },
    historyOf: (signal) =>
      signal.scope === 'series' ? engine.seriesHistory(state, signal.key) : merger.history(mstate, signal.key),
    seedHistories(series, scopes) {
      engine.seedHistories(state, series);
      merger.seedHistories(mstate, scopes);
    },
    watermark: () => engine.watermark(state),
    pendingOffset: (p) => engine.pendingOffset(state, p),
    seriesCount: () => engine.seriesCount(state),
  };
}
