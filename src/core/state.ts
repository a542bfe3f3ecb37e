/**
 * Internal engine state. Mutated in place by the engine (allocation-free on the hot path);
 * purity here means: no clock, no I/O, no randomness — the same inputs in the same order
 * give the same outputs and the same state.
 */
import type { WindowSignal } from '../model/signal';
import type { DDSketch, SketchParams } from '../signals/ddsketch';
import type { EngineConfig } from './config';
import type { ScopeList } from './scope-memberships';
import type { HintOwner } from './series-hint';
import { createDormantQueue, type DormantQueue } from './dormant-queue';
import { createSeriesTable, type SeriesTable } from './series-table';
import { createSeriesNumbers, type SeriesNumbers } from './series-numbers';
import type { EngineCounters, EngineOutput, Offset, StepResult } from './types';

/**
 * The records of one pane [start, start + advanceMs), all series together, as columns:
 * the hot path appends (series id, value) to shared typed arrays — sequential writes —
 * instead of chasing a per-series buffer for every record; window close groups them by
 * series. A batch that grows large (see compactAt in batches.ts) is folded into per-series
 * sketches (`compacted`), so memory stays bounded by series × sketch size, not by throughput.
 */
export interface PaneBatch {
  readonly start: number;
  ids: Int32Array;
  values: Float64Array;
  len: number;
  /** Per-series sketches of entries compacted out of the columns (null until needed). */
  compacted: Map<number, DDSketch> | null;
  /**
   * Entries [0, grouped) are grouped by series (see groupBatch in batches.ts): each series'
   * entries contiguous, in arrival order, run r at [runStarts[r], runStarts[r] + runLens[r])
   * for series runIds[r]. A pane is grouped once, when the first window covering it closes;
   * the later windows that cover it read its runs instead of sorting its entries again.
   * Entries arriving after that (allowed disorder, grace) are appended past `grouped` and
   * the pane is regrouped when next read.
   */
  grouped: number;
  runs: PaneRuns;
  /**
   * Bucket codes of the grouped entries of scoped series (DDSketch.codeValues), valid while
   * `coded`: computed once, at the first close that reads the pane, so that the windows
   * covering it bin their scope groups' values without a log each. Regrouping clears `coded`.
   */
  codes: Int32Array;
  coded: boolean;
}

/** Runs of a grouped pane, as columns (reused with the batch). */
export interface PaneRuns {
  count: number;
  ids: Int32Array;
  starts: Int32Array;
  lens: Int32Array;
  /** 1 where the run's series feeds scope groups, so its values are coded (valid while the pane is `coded`). */
  scoped: Uint8Array;
}

/** A series' membership in one scope group (shared by the series of the group: see scope-memberships.ts). */
export interface ScopeMembership {
  readonly scope: string;
  readonly key: string;
  readonly metric: string;
  readonly tags: Record<string, string>;
}

/**
 * A live series: its identity and links. Its numbers (event times, window starts, EWMA and
 * trend history) are a row of `InternalState.numbers`, at `id` (see series-numbers.ts).
 */
export interface Series {
  /** Index in `seriesById`, in pane batches and of its row of numbers (reused after the series is gone). */
  readonly id: number;
  /** Values of the (sorted) dimension tags from the third on (the first two: series-table.ts). */
  readonly dimsRest: readonly (string | undefined)[];
  /** Always 'series' (so a Series is its own SignalIdentity). */
  readonly scope: 'series';
  readonly key: string;
  readonly source: string;
  readonly metric: string;
  readonly tags: Record<string, string>;
  /** Partition of its first record (a source is the Kafka key, so it lives on one partition). */
  readonly partition: number;
  /** `[partition]`, frozen, shared by every series of the partition and all their signals. */
  readonly partitions: number[];
  readonly scopes: ScopeList;
  alive: boolean;
  inRecent: boolean;
}

export interface PartitionState {
  readonly id: number;
  /** Highest event time seen; -Infinity before the first record. */
  maxTs: number;
  /**
   * Idleness reference before the first record: the highest event time the engine had seen
   * when the partition was assigned, or (NaN until then) the first event time it sees.
   */
  since: number;
  /** End of the last window needing a record → offset of the first such record (insertion = offset order). */
  readonly pending: Map<number, Offset>;
  lastPendingEnd: number;
  /**
   * Set by the driver while the partition is known to hold unread records (consumer lag > 0):
   * such a partition is never idle, however far the others run ahead, because its records
   * exist and only have not been read yet. Idleness is for partitions that have nothing to say.
   */
  backlog: boolean;
}

/** Zero-fill memory of a scope group (stage one). */
export interface ScopeGroupState {
  readonly membership: ScopeMembership;
  lastDataStart: number;
}

/** Scratch space of window close, reused (grown as needed). */
export interface CloseScratch {
  /** Per series id: entries in the window being closed, valid when stamp[id] === stampNow. */
  counts: Int32Array;
  cursor: Int32Array;
  stamp: Int32Array;
  stampNow: number;
  grouped: Float64Array;
  /** The codes of the gathered values of scoped series, parallel to `grouped` (gatherRuns). */
  groupedCodes: Int32Array;
  touched: number[];
  series: Series[];
  /** Reused sketch of the series being emitted (built lazily: the state does not know the params). */
  sketch: DDSketch | null;
  /** Spare columns a pane is grouped into, then swapped with the pane's own (same lengths). */
  spareIds: Int32Array;
  spareValues: Float64Array;
  /** Per series id: stamped `now` when a zero-fill series is listed (close-order.ts). */
  emit: Int32Array;
  /** Per position of the close's list (id order): its series' id, rank, flags, and values' range in the gathered values. */
  ids: Int32Array;
  ranks: Int32Array;
  flags: Uint8Array;
  from: Int32Array;
  to: Int32Array;
  /** The list's positions in rank order (close-order.ts). */
  order: Int32Array;
  /** Position + 1 by rank while a window's list is ordered (all 0 in between). */
  rankSlots: Int32Array;
  /** Per position: the series' signal. */
  signals: WindowSignal[];
  /**
   * Per position of a series that feeds scope groups: its memberships, and its window's sum,
   * min and max at 3·position (read by the key-ordered pass without the Series or the signal).
   */
  members: (readonly ScopeMembership[])[];
  sumMinMax: Float64Array;
  /** Per position: a copy of the series' window sketch, when its scope groups cannot take its gathered values. */
  copies: Map<number, DDSketch>;
  /** Ids of the series whose newest data is in the pane the close frees, in key order. */
  leaving: number[];
}

export interface InternalState {
  readonly __engineState: true;
  /** Owned partitions, ascending id. */
  partitions: PartitionState[];
  /** Same, indexed by id. */
  partitionById: (PartitionState | undefined)[];
  ownedIds: number[];
  watermark: number;
  maxEventTime: number;
  readonly seriesByKey: Map<string, Series>;
  readonly seriesById: (Series | undefined)[];
  /** Numbers of each series, a row per id (series-numbers.ts). */
  readonly numbers: SeriesNumbers;
  /**
   * EWMA/trend histories from a checkpoint, by series key, each given to its series when the
   * series is next created (and then dropped): a restart continues the history.
   */
  readonly seededHistory: Map<string, Float64Array>;
  /** Scope lists held by live series, by ScopeList.key (scope-memberships.ts). */
  readonly scopeLists: Map<string, ScopeList>;
  /** Frozen `[p]` per partition id p, shared by its series (Series.partitions). */
  readonly partitionLists: (number[] | undefined)[];
  readonly freeIds: number[];
  /** Checks the series slots on shared tags objects (series-hint.ts); its generation moves when a series is killed. */
  readonly hints: HintOwner;
  /** Set when series were added or killed since ranks were assigned. */
  ranksStale: boolean;
  /** The ids of the series as of the last rank refresh, in key order (killed ones dropped at the next). */
  rankOrder: Int32Array;
  /** Series created since the last rank refresh, in creation order. */
  unranked: Series[];
  /** (source, metric, dimension values) → series id (series-table.ts). */
  readonly table: SeriesTable;
  /** Open pane batches by start; paneStarts = their starts, ascending. */
  readonly batches: Map<number, PaneBatch>;
  readonly paneStarts: number[];
  /** The batch the previous record went to (most records go to the same one). */
  lastBatch: PaneBatch | null;
  /** Freed batches, for their typed arrays. */
  readonly batchPool: PaneBatch[];
  /** First window start not yet closed (windows before it are closed or were empty). */
  nextWindowStart: number;
  /** Watermark at which the next window with something to emit closes. */
  nextCloseAt: number;
  /** Last window start that may still need zero-fill (-Infinity: none). */
  zeroFillUntil: number;
  /** Zero-fill never goes past this window start (set by flush to the last window with data). */
  zeroFillLimit: number;
  readonly recent: Set<Series>;
  readonly scopeRecent: Map<string, ScopeGroupState>;
  /** Series without data in an open pane, in the order they became dormant (eviction order). */
  readonly dormant: DormantQueue;
  readonly counters: EngineCounters;
  readonly scratchOut: EngineOutput[];
  /** The result of a step without outputs (frozen, made on first use): engine.ts. */
  quiet: Readonly<StepResult> | null;
  readonly close: CloseScratch;
}

/** Config compiled once for the hot path. */
export interface Compiled {
  readonly config: EngineConfig;
  readonly size: number;
  readonly advance: number;
  readonly grace: number;
  readonly ooo: number;
  readonly idleAfter: number;
  readonly tumbling: boolean;
  readonly sortedDims: readonly string[];
  readonly sketch: SketchParams;
  readonly zeroFill: number;
  /** metric → scopes that aggregate it, with their sorted groupBy. */
  readonly scopesByMetric: ReadonlyMap<string, readonly { name: string; groupBy: readonly string[] }[]>;
  readonly emptySketchB64: string;
}

export function newCounters(): EngineCounters {
  return {
    consumed: 0,
    aggregated: 0,
    late: 0,
    rejected: 0,
    partiallyLate: 0,
    evicted: 0,
    windowsClosed: 0,
    signals: 0,
    zeroSignals: 0,
    partials: 0,
    revokedSeries: 0,
  };
}

export function newState(trendWindows: number): InternalState {
  return {
    __engineState: true,
    partitions: [],
    partitionById: [],
    ownedIds: [],
    watermark: -Infinity,
    maxEventTime: -Infinity,
    seriesByKey: new Map(),
    seriesById: [],
    numbers: createSeriesNumbers(trendWindows),
    seededHistory: new Map(),
    scopeLists: new Map(),
    partitionLists: [],
    freeIds: [],
    hints: { gen: 0 },
    ranksStale: false,
    rankOrder: new Int32Array(0),
    unranked: [],
    table: createSeriesTable(),
    batches: new Map(),
    paneStarts: [],
    lastBatch: null,
    batchPool: [],
    nextWindowStart: -Infinity,
    nextCloseAt: Infinity,
    zeroFillUntil: -Infinity,
    zeroFillLimit: Infinity,
    recent: new Set(),
    scopeRecent: new Map(),
    dormant: createDormantQueue(),
    counters: newCounters(),
    scratchOut: [],
    quiet: null,
    close: {
      counts: new Int32Array(1024),
      cursor: new Int32Array(1024),
      stamp: new Int32Array(1024),
      stampNow: 0,
      grouped: new Float64Array(4096),
      groupedCodes: new Int32Array(4096),
      touched: [],
      series: [],
      sketch: null,
      spareIds: new Int32Array(0),
      spareValues: new Float64Array(0),
      emit: new Int32Array(1024),
      ids: new Int32Array(0),
      ranks: new Int32Array(0),
      flags: new Uint8Array(0),
      from: new Int32Array(0),
      to: new Int32Array(0),
      order: new Int32Array(0),
      rankSlots: new Int32Array(0),
      signals: [],
      members: [],
      sumMinMax: new Float64Array(0),
      copies: new Map(),
      leaving: [],
    },
  };
}
