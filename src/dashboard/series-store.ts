/**
 * Recent final window signals per series, so that a panel created when a policy first cites
 * a signal can show the run-up to that decision, and so that a panel's value at a window is
 * recomputed from every series behind it (idempotent when a batch is replayed).
 *
 * A panel reads `metric:stat` for a target; the series behind it are those of that metric
 * whose source, or one of whose dimension tags, is the target — the ways the built-in
 * policies name targets (source for workers, a tag for services and tenants). Several
 * series are combined as the policies do (src/policies/signals.ts): rates and sums are
 * totalled (two-stage scope aggregates alone when present, they already span every
 * partition); everything else takes the worst (largest) series.
 *
 * Two tiers, each of `maxSeries`: series a panel reads are pinned, so that a churn of
 * series nobody charts (more than `maxSeries` of them) cannot evict a charted target's
 * series before its panel has read the batch.
 */
import { WINDOW_STATS, type WindowSignal } from '../model/signal';
import { createLruMap, createTimeRing, type TimeRing } from './ring';

/** The window statistics a panel can chart, in storage order. */
export const STATS = WINDOW_STATS;
export type Stat = (typeof STATS)[number];

const STAT_INDEX: Readonly<Record<Stat, number>> = Object.fromEntries(STATS.map((s, i) => [s, i])) as Record<
  Stat,
  number
>;
/** Additive statistics: totalled across series, as `total()` in src/policies/signals.ts. */
const TOTALLED: ReadonlySet<Stat> = new Set<Stat>(['count', 'sum', 'ratePerSec']);

function isStat(s: string): s is Stat {
  return Object.prototype.hasOwnProperty.call(STAT_INDEX, s);
}

/** `query.latency_ms:p99` → { metric, stat }; null for a name that is not `metric:stat`. */
export function parseSignalName(signal: string): { metric: string; stat: Stat } | null {
  const i = signal.lastIndexOf(':');
  if (i <= 0 || i === signal.length - 1) return null;
  const stat = signal.slice(i + 1);
  return isStat(stat) ? { metric: signal.slice(0, i), stat } : null;
}

interface SeriesEntry {
  key: string;
  metric: string;
  scoped: boolean;
  /** Source and dimension tag values: the targets this series can belong to. */
  candidates: string[];
  ring: TimeRing<Float64Array>;
}

export interface SeriesStore {
  readonly size: number;
  /**
   * Records final signals (partials are ignored: stage two merges them) and returns, per
   * `metric\u0000candidate`, the window ends that changed.
   */
  add(finals: readonly WindowSignal[]): Map<string, Set<number>>;
  /** The panel value of (metric, stat, target) at window end t, or null when no series has it. */
  valueAt(metric: string, stat: Stat, target: string, t: number): number | null;
  /** Every window end held for (metric, target), ascending. */
  timesOf(metric: string, target: string): number[];
  /** A panel reads (metric, target): pin its series (counted; pair every watch with an unwatch). */
  watch(metric: string, target: string): void;
  unwatch(metric: string, target: string): void;
}

export function indexKey(metric: string, candidate: string): string {
  return `${metric}\u0000${candidate}`;
}

/** One series' statistics at a window end, and whether the series is scoped (a total of others). */
interface StatRow {
  scoped: boolean;
  row: Float64Array;
}

/**
 * The panel value of `stat` from the rows of every series of a target: a total (counts,
 * sums) adds the scoped series when there are any, else every series; any other statistic
 * is the worst (highest) of the windows that had samples. Null when no row has it.
 */
function panelValue(rows: readonly StatRow[], stat: Stat): number | null {
  const i = STAT_INDEX[stat];
  if (rows.length === 0) return null;
  if (TOTALLED.has(stat)) {
    const scoped = rows.filter((r) => r.scoped);
    let sum = 0;
    for (const r of scoped.length > 0 ? scoped : rows) if (Number.isFinite(r.row[i])) sum += r.row[i];
    return sum;
  }
  let worst: number | null = null;
  for (const r of rows) {
    // A window without samples has no statistics worth comparing (as `worst()`).
    if (r.row[STAT_INDEX.count] <= 0 || !Number.isFinite(r.row[i])) continue;
    if (worst === null || r.row[i] > worst) worst = r.row[i];
  }
  return worst;
}

export function createSeriesStore(options: { maxSeries: number; history: number }): SeriesStore {
  const series = createLruMap<string, SeriesEntry>(options.maxSeries);
  const pinned = createLruMap<string, SeriesEntry>(options.maxSeries);
  /** metric\u0000candidate → series keys. */
  const index = new Map<string, Set<string>>();
  /** metric\u0000candidate → how many panels read it. */
  const watchers = new Map<string, number>();
  const isWatched = (e: Pick<SeriesEntry, 'metric' | 'candidates'>): boolean =>
    e.candidates.some((c) => watchers.has(indexKey(e.metric, c)));
  const lookup = (id: string): SeriesEntry | undefined => pinned.get(id) ?? series.get(id);

  const unindex = (e: SeriesEntry): void => {
    for (const c of e.candidates) {
      const k = indexKey(e.metric, c);
      const set = index.get(k);
      set?.delete(e.key);
      if (set?.size === 0) index.delete(k);
    }
  };

  const entryFor = (s: WindowSignal): SeriesEntry => {
    const id = `${s.scope}\u0000${s.key}`;
    const found = lookup(id);
    if (found) {
      (pinned.has(id) ? pinned : series).touch(id);
      return found;
    }
    const candidates = [...new Set([s.source, ...Object.values(s.tags)].filter((c) => c !== '' && c !== '*'))];
    const e: SeriesEntry = {
      key: id,
      metric: s.metric,
      scoped: s.scope !== 'series',
      candidates,
      ring: createTimeRing(options.history),
    };
    for (const [, old] of (isWatched(e) ? pinned : series).set(id, e)) unindex(old);
    for (const c of candidates) {
      const k = indexKey(s.metric, c);
      let set = index.get(k);
      if (!set) index.set(k, (set = new Set()));
      set.add(id);
    }
    return e;
  };

  const entriesOf = (metric: string, target: string): SeriesEntry[] => {
    const keys = index.get(indexKey(metric, target));
    if (!keys) return [];
    const out: SeriesEntry[] = [];
    for (const k of keys) {
      const e = lookup(k);
      if (e) out.push(e);
    }
    return out;
  };

  /** Moves the series of (metric, target) to the tier their watch state calls for. */
  const retier = (metric: string, target: string): void => {
    for (const e of entriesOf(metric, target)) {
      const want = isWatched(e) ? pinned : series;
      const other = want === pinned ? series : pinned;
      if (!other.has(e.key)) continue;
      other.delete(e.key);
      for (const [, old] of want.set(e.key, e)) unindex(old);
    }
  };

  return {
    get size() {
      return series.size + pinned.size;
    },
    add(finals) {
      const changed = new Map<string, Set<number>>();
      for (const s of finals) {
        if (s.partial || !Number.isFinite(s.windowEnd)) continue;
        const e = entryFor(s);
        const row = new Float64Array(STATS.length);
        for (let i = 0; i < STATS.length; i++) row[i] = s[STATS[i]];
        if (e.ring.upsert(s.windowEnd, row) === 'dropped') continue;
        for (const c of e.candidates) {
          const k = indexKey(e.metric, c);
          let set = changed.get(k);
          if (!set) changed.set(k, (set = new Set()));
          set.add(s.windowEnd);
        }
      }
      return changed;
    },
    valueAt(metric, stat, target, t) {
      const rows: StatRow[] = [];
      for (const e of entriesOf(metric, target)) {
        const row = e.ring.get(t);
        if (row) rows.push({ scoped: e.scoped, row });
      }
      return panelValue(rows, stat);
    },
    watch(metric, target) {
      const k = indexKey(metric, target);
      watchers.set(k, (watchers.get(k) ?? 0) + 1);
      retier(metric, target);
    },
    unwatch(metric, target) {
      const k = indexKey(metric, target);
      const n = (watchers.get(k) ?? 0) - 1;
      if (n > 0) watchers.set(k, n);
      else watchers.delete(k);
      retier(metric, target);
    },
    timesOf(metric, target) {
      const all = new Set<number>();
      for (const e of entriesOf(metric, target)) for (const t of e.ring.times()) all.add(t);
      return [...all].sort((a, b) => a - b);
    },
  };
}
