/**
 * Stage two of a group whose processes share the telemetry partitions (`runner.scaleOut`).
 *
 * Stage one runs one engine per telemetry partition, wherever the group put the partition,
 * and sends its series finals and scope partials here, each transaction followed by a mark:
 * the partition's watermark after it. A window is complete once every partition's watermark
 * has passed its end + grace — each engine had then emitted all it had for it — so stage two
 * buffers what arrives, in whatever order the processes' transactions interleave, and
 * releases complete windows in one deterministic order: window end ascending, then key. The
 * scope partials are merged (a partition that sent none had no data for the key), and the
 * finals go to the policies as a single process would have fed them.
 *
 * Because each partition's windows depend on that partition's records only, and the release
 * order on the records' content only, the outputs do not depend on how many processes there
 * are, which owns what, or when partitions move.
 *
 * A partition holds the release back while it has records not yet read (the driver reports
 * its high watermark and the group's position; until it has, a partition counts as having
 * some) or has been heard from within idleAfterMs of the second-newest partition's event time
 * (2 × idleAfterMs of the newest's when only one is ahead) — the engine's own rule for idle
 * partitions (src/core/watermark.ts), which no single partition can force. A final that
 * arrives for a window already released (its partition was idle, then spoke) is published but
 * too late for the policies: counted as `late`.
 *
 * Pure: no clock, no I/O; the driver (src/kafka/gather-driver.ts) persists `checkpoint()`.
 */
import { createScopeMerger, type EngineConfig, type MergerState, type ScopeMerger } from '../core';
import { compareKeys } from '../core/series-key';
import { idleReference } from '../core/watermark';
import type { WindowSignal } from '../model/signal';
import { appendAll } from './append';

/** A partition's progress in stage one, sent after each of its transactions. */
export interface PartitionMark {
  partition: number;
  /** The partition's engine watermark: windows whose end + grace is at or before it were emitted. */
  wm: number;
  /** Highest event time seen on the partition. */
  maxTs: number;
  /** Next telemetry offset stage one will read on it. */
  next: string;
  /**
   * Split stage two only (runner.decisionShards): the windows this transaction emitted finals or
   * partials for, each with its earliest start — every shard learns of every window, also one it
   * has no finals of, and of its span over all finals.
   */
  windows?: WindowSummary[];
}

/** A window as every decision shard knows it: its end and its finals' earliest start. */
export interface WindowSummary {
  end: number;
  minStart: number;
}

export type GatherInput =
  | { kind: 'signal'; signal: WindowSignal; offset: string }
  | { kind: 'mark'; mark: PartitionMark; offset?: string }
  /**
   * From the driver, for every partition at once (index = partition): its high watermark and,
   * until a mark says better, stage one's committed offset.
   */
  | { kind: 'offsets'; high: readonly string[]; committed: readonly string[] }
  | { kind: 'flush' }
  /** Release what a hold kept back (the hold has lifted). */
  | { kind: 'resume' }
  /** The window released last was taken (committed with its evaluation): the hold now speaks for it. */
  | { kind: 'taken' };

export interface GatherOutputs {
  /** Everything for the signals topic, in release order. */
  published: WindowSignal[];
  /** Final signals for the policies, in release order (window end, then key). */
  finals: WindowSignal[];
  /** The windows released, in order, when marks carry window summaries (a split stage two). */
  windows?: WindowSummary[];
}

export interface GatherCounters {
  signals: number;
  marks: number;
  /** Window ends released to the policies. */
  released: number;
  /** Series finals and partials for windows already released (published, not decided on). */
  late: number;
  /** Partials the merger refused (duplicate, invalid…). */
  rejected: number;
}

interface MarkState {
  wm: number;
  maxTs: number;
  next: string | null;
  high: string | null;
  committed: string | null;
}

/** JSON-safe: what the driver persists with each transaction. */
export interface GatherCheckpoint {
  v: 1;
  /** Windows whose end + grace is at or before it were released (null: none yet). */
  released: number | null;
  /** Idleness reference of partitions never heard from (null: not set yet). */
  since: number | null;
  marks: ({ wm: number | null; maxTs: number | null; next: string | null } | null)[];
}

export interface Gather {
  /** Applies one input. `restoring`: re-read after a restart — a signal already released is skipped silently. */
  step(input: GatherInput, out: GatherOutputs, restoring?: boolean): void;
  /** Stage-topic offset of the oldest signal still buffered (undefined: none). */
  oldestBuffered(): string | undefined;
  released(): number;
  counters(): GatherCounters;
  checkpoint(): GatherCheckpoint;
  restore(cp: GatherCheckpoint): void;
  history(key: string): Float64Array | undefined;
  seedHistories(scopes: ReadonlyMap<string, Float64Array>): void;
  /** Windows buffered (memory gauge). */
  buffered(): number;
}

export function emptyGatherOutputs(): GatherOutputs {
  return { published: [], finals: [] };
}

const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
const unnum = (x: number | null | undefined, missing: number): number => (typeof x === 'number' ? x : missing);

interface Pending {
  readonly signals: WindowSignal[];
  /** Earliest start over the window's finals and partials in every partition (from the marks' summaries). */
  minStart?: number;
  /** Stage-topic offset of its first signal (arrival order, so the smallest). */
  readonly first: number;
}

/** A partition's state from its checkpointed mark (none: never heard from); offsets await the driver's word. */
function markState(m?: { wm: number | null; maxTs: number | null; next: string | null } | null): MarkState {
  return {
    wm: unnum(m?.wm, -Infinity),
    maxTs: unnum(m?.maxTs, -Infinity),
    next: m?.next ?? null,
    high: null,
    committed: null,
  };
}

/** Unread records on the partition — or no word yet from the driver, which is not the same as none. */
function backlog(m: MarkState): boolean {
  const at = m.next ?? m.committed;
  return m.high === null || at === null || BigInt(m.high) > BigInt(at);
}

/** Highest event time seen on any partition (-Infinity: none yet). */
function newestEventTime(marks: readonly MarkState[]): number {
  let newest = -Infinity;
  for (const m of marks) if (m.maxTs > newest) newest = m.maxTs;
  return newest;
}

/**
 * The lowest watermark of the partitions that are not idle (see the file comment): a partition
 * never heard from counts as last heard at `since`.
 */
function lowestActiveWatermark(marks: readonly MarkState[], since: number, idleAfter: number): number {
  const lastOf = (m: MarkState): number => (m.maxTs === -Infinity ? since : m.maxTs);
  // Judged against a time no single partition can set alone, as the engine does (src/core/watermark.ts).
  const reference = idleReference(marks.length, (i) => lastOf(marks[i]), idleAfter);
  let min = Infinity;
  for (const m of marks) {
    if (!backlog(m) && reference - lastOf(m) > idleAfter) continue;
    if (m.wm < min) min = m.wm;
  }
  return min === Infinity ? -Infinity : min;
}

/** The partition's state, if the number is one of the group's partitions (a mark is input). */
function markAt(marks: MarkState[], partition: number): MarkState | undefined {
  return Number.isInteger(partition) && partition >= 0 && partition < marks.length ? marks[partition] : undefined;
}

/** Folds a partition's mark in: each of its figures only moves forward. */
function applyMark(m: MarkState, mark: PartitionMark): void {
  if (mark.wm > m.wm) m.wm = mark.wm;
  if (mark.maxTs > m.maxTs) m.maxTs = mark.maxTs;
  if (m.next === null || BigInt(mark.next) > BigInt(m.next)) m.next = mark.next;
}

/**
 * Releases one complete window into `out`: its series finals, its partials merged into scope
 * finals, key-ordered. Returns how many partials the merger refused.
 */
function releaseWindow(
  merger: ScopeMerger,
  mstate: MergerState,
  through: number,
  signals: WindowSignal[],
  out: GatherOutputs,
): number {
  const series: WindowSignal[] = [];
  const partials: WindowSignal[] = [];
  for (const s of signals) (s.partial ? partials : series).push(s);
  series.sort((a, b) => compareKeys(a.key, b.key));
  partials.sort((a, b) => compareKeys(a.key, b.key) || a.partitions[0] - b.partitions[0]);
  const scopes: WindowSignal[] = [];
  let rejected = 0;
  const take = (outputs: ReturnType<ScopeMerger['step']>['outputs']): void => {
    for (const o of outputs) {
      if (o.kind === 'signal') scopes.push(o.signal);
      else rejected += 1;
    }
  };
  for (const s of partials) take(merger.step(mstate, { kind: 'partial', signal: s }).outputs);
  take(merger.step(mstate, { kind: 'complete', through }).outputs);
  scopes.sort((a, b) => compareKeys(a.key, b.key));
  // A partial goes out before its key's final, as a single process writes them.
  mergeByKey([series, partials, scopes], out.published);
  mergeByKey([series, scopes], out.finals);
  return rejected;
}

/**
 * Appends the merge of `lists`, each already in key order, to `out`: on equal keys the earlier
 * list first — exactly what a stable sort of their concatenation gives, in one linear pass
 * instead of a copy and a sort of the window.
 */
function mergeByKey(lists: readonly (readonly WindowSignal[])[], out: WindowSignal[]): void {
  const filled = lists.filter((l) => l.length > 0);
  if (filled.length <= 1) {
    if (filled.length === 1) appendAll(out, filled[0]);
    return;
  }
  const at = lists.map(() => 0);
  for (;;) {
    let best = -1;
    for (let l = 0; l < lists.length; l++) {
      if (at[l] >= lists[l].length) continue;
      if (best === -1 || compareKeys(lists[l][at[l]].key, lists[best][at[best]].key) < 0) best = l;
    }
    if (best === -1) return;
    out.push(lists[best][at[best]++]);
  }
}

function mergerFor(config: GatherConfig): ScopeMerger {
  return createScopeMerger({
    partitionCount: config.partitionCount,
    advanceMs: config.engine.window.advanceMs,
    // Windows are finalised by `complete`, never by the merger's own fallback.
    latenessMs: Infinity,
    graceMs: config.engine.window.graceMs,
    ewmaAlpha: config.engine.ewmaAlpha,
    trendWindows: config.engine.trendWindows,
  });
}

function markCheckpoint(m: MarkState): GatherCheckpoint['marks'][number] {
  return m.next === null && m.maxTs === -Infinity ? null : { wm: num(m.wm), maxTs: num(m.maxTs), next: m.next };
}

/** The windows buffered, by end, in end order. */
function createWindowBuffer() {
  const pending = new Map<number, Pending>();
  let ends: number[] = [];
  return {
    firstEnd: (): number | undefined => ends[0],
    /** The window's buffer, made when its first signal (or summary) arrives. */
    of(end: number, offset: string): Pending {
      let p = pending.get(end);
      if (p === undefined) {
        p = { signals: [], first: Number(offset) };
        pending.set(end, p);
        let i = ends.length;
        while (i > 0 && ends[i - 1] > end) i--;
        ends.splice(i, 0, end);
      }
      return p;
    },
    /** Removes the first window (`end`) and returns its buffer. */
    take(end: number): Pending {
      ends.shift();
      const p = pending.get(end)!;
      pending.delete(end);
      return p;
    },
    /** Stage-topic offset of the oldest signal still buffered. */
    oldest(): string | undefined {
      let min = Infinity;
      for (const p of pending.values()) if (p.first < min) min = p.first;
      return min === Infinity ? undefined : String(min);
    },
    size: () => pending.size,
    clear() {
      pending.clear();
      ends = [];
    },
  };
}

/**
 * With a hold, one window at a time: released, it waits to be taken (the hold then holds)
 * and, once the hold lifts, the next one is due. Without one, nothing is ever held.
 */
function createHoldGate(hold: (() => boolean) | undefined) {
  let handedOver = false;
  return {
    held(): boolean {
      if (hold === undefined) return false;
      if (hold()) {
        handedOver = false;
        return true;
      }
      return handedOver;
    },
    /** Whether the next window may go out (it is then handed over), or is held. */
    handOver(): boolean {
      if (this.held()) return false;
      if (hold) handedOver = true;
      return true;
    },
    taken(): void {
      if (hold?.()) handedOver = false;
    },
  };
}

/**
 * Whether a record's window was handed over already. A record re-read after a restart belongs to
 * one only if the checkpoint or a release since says so: `released` may have moved on before the
 * re-read brought the window back (a mark or stage one's offsets while the buffer was still
 * empty, a hold keeping windows back), and skipping the record then would drop a window nobody
 * evaluated — a decision shard would report a later window than the arbiter collects.
 */
function createHandOverBound(grace: number) {
  /** The checkpoint's `released`, and end + grace of the last window handed over since. */
  let restoredThrough = -Infinity;
  let handedThrough = -Infinity;
  return {
    restored(released: number): void {
      restoredThrough = released;
      handedThrough = -Infinity;
    },
    handed(end: number): void {
      handedThrough = end + grace;
    },
    covers(end: number, restoring: boolean, releasedNow: number): boolean {
      return end + grace <= (restoring ? Math.max(restoredThrough, handedThrough) : releasedNow);
    },
  };
}

export interface GatherConfig {
  partitionCount: number;
  engine: EngineConfig;
  /**
   * While true, no further window is released (a decision shard waits for the settlement of the
   * window it released: split stage two); a `resume` input releases what is due once it lifts.
   */
  hold?: () => boolean;
}

export function createGather(config: GatherConfig): Gather {
  const n = config.partitionCount;
  const grace = config.engine.window.graceMs;
  const idleAfter = config.engine.idleAfterMs;
  const merger = mergerFor(config);
  let mstate: MergerState = merger.init();
  const marks: MarkState[] = [...Array(n).keys()].map(() => markState());
  let since = NaN;
  let released = -Infinity;
  const bound = createHandOverBound(grace);
  const buffer = createWindowBuffer();
  const gate = createHoldGate(config.hold);
  const counters: GatherCounters = { signals: 0, marks: 0, released: 0, late: 0, rejected: 0 };

  /** The lowest watermark of the partitions that are not idle (see the file comment). */
  const candidate = (): number => {
    const newest = newestEventTime(marks);
    if (newest === -Infinity) return -Infinity;
    if (Number.isNaN(since)) since = newest;
    return lowestActiveWatermark(marks, since, idleAfter);
  };

  /**
   * What was released: `released`, unless a hold keeps a window due back — then just below it,
   * so that a restart re-buffers the held window's signals instead of skipping them.
   */
  const releasedNow = (): number => Math.min(released, (buffer.firstEnd() ?? Infinity) + grace - 1);

  const releaseDue = (out: GatherOutputs): void => {
    const through = candidate();
    if (through > released) released = through;
    for (let end = buffer.firstEnd(); end !== undefined && end + grace <= released; end = buffer.firstEnd()) {
      if (!gate.handOver()) break;
      const p = buffer.take(end);
      bound.handed(end);
      counters.rejected += releaseWindow(merger, mstate, end + grace, p.signals, out);
      if (p.minStart !== undefined) (out.windows ??= []).push({ end, minStart: p.minStart });
      counters.released += 1;
    }
  };

  /** A mark's window summaries: every window it names is buffered (a shard may have no finals of it). */
  const onSummaries = (windows: readonly WindowSummary[], offset: string, restoring: boolean): void => {
    for (const w of windows) {
      if (bound.covers(w.end, restoring, releasedNow())) continue;
      const p = buffer.of(w.end, offset);
      if (p.minStart === undefined || w.minStart < p.minStart) p.minStart = w.minStart;
    }
  };

  const onSignal = (s: WindowSignal, offset: string, out: GatherOutputs, restoring: boolean): void => {
    const end = s.windowEnd;
    if (bound.covers(end, restoring, releasedNow())) {
      if (restoring) return;
      counters.late += 1;
      out.published.push(s);
      return;
    }
    counters.signals += 1;
    buffer.of(end, offset).signals.push(s);
  };

  return {
    step(input, out, restoring = false) {
      switch (input.kind) {
        case 'signal':
          onSignal(input.signal, input.offset, out, restoring);
          return;
        case 'mark': {
          const m = markAt(marks, input.mark.partition);
          if (m === undefined) return;
          counters.marks += 1;
          applyMark(m, input.mark);
          if (input.mark.windows && input.offset !== undefined)
            onSummaries(input.mark.windows, input.offset, restoring);
          releaseDue(out);
          return;
        }
        case 'resume':
          releaseDue(out);
          return;
        case 'taken':
          gate.taken();
          return;
        case 'offsets':
          for (let p = 0; p < n; p++) {
            marks[p].high = input.high[p] ?? null;
            marks[p].committed = input.committed[p] ?? null;
          }
          releaseDue(out);
          return;
        case 'flush':
          released = Infinity;
          releaseDue(out);
          return;
      }
    },
    oldestBuffered: () => buffer.oldest(),
    released: releasedNow,
    counters: () => ({ ...counters }),
    checkpoint: () => ({
      v: 1,
      released: num(releasedNow()),
      since: num(since),
      marks: marks.map(markCheckpoint),
    }),
    restore(cp) {
      released = unnum(cp.released, -Infinity);
      bound.restored(released);
      since = unnum(cp.since, NaN);
      for (let p = 0; p < n; p++) marks[p] = markState(cp.marks[p]);
      buffer.clear();
      mstate = merger.init();
    },
    history: (key) => merger.history(mstate, key),
    seedHistories: (scopes) => merger.seedHistories(mstate, scopes),
    buffered: () => buffer.size(),
  };
}
