/**
 * Garbage collection during one phase of a bench, from Node's `gc` performance entries: how
 * many young-generation collections (scavenges) and full ones (mark-compact) ran and how long
 * they paused the thread. The entries are delivered asynchronously, after the collection: read
 * the meter once the phase's work is done and a turn of the event loop has passed.
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

export interface GcFigures {
  scavenges: number;
  scavengeMs: number;
  markCompacts: number;
  markCompactMs: number;
  /** Incremental marking steps and weak-callback processing, counted together. */
  otherMs: number;
}

export interface GcMeter {
  /** The collections since start; stops observing. */
  stop(): Promise<GcFigures>;
}

function kindOf(e: PerformanceEntry): number {
  return (e as { detail?: { kind?: number } }).detail?.kind ?? 0;
}

export function startGcMeter(): GcMeter {
  const f: GcFigures = { scavenges: 0, scavengeMs: 0, markCompacts: 0, markCompactMs: 0, otherMs: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = kindOf(e);
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        f.scavenges++;
        f.scavengeMs += e.duration;
      } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        f.markCompacts++;
        f.markCompactMs += e.duration;
      } else f.otherMs += e.duration;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  return {
    async stop() {
      // Entries of the last collections are queued behind the current turn.
      await new Promise((r) => setImmediate(r));
      obs.disconnect();
      const r = (x: number): number => Math.round(x * 10) / 10;
      return { ...f, scavengeMs: r(f.scavengeMs), markCompactMs: r(f.markCompactMs), otherMs: r(f.otherMs) };
    },
  };
}
