/**
 * The seen-set: command ids an executor has handled (or started to apply), so that a
 * redelivered or re-published command is never applied twice. Ids are deterministic
 * hashes (src/actions/command-id.ts), so the same decision always carries the same id.
 *
 * Memory stays bounded: an id is forgotten `graceMs` after its command expired. A copy
 * arriving later still cannot act — it is then reported `expired` instead of `duplicate`.
 */
import type { SeenEntry } from './types';

export interface SeenSet {
  get(commandId: string): SeenEntry | undefined;
  mark(commandId: string, entry: SeenEntry): void;
  /** Forget ids whose command expired more than graceMs before `now`; returns how many. */
  prune(now: number): number;
  size(): number;
}

export function createSeenSet(graceMs: number): SeenSet {
  const entries = new Map<string, SeenEntry>();
  return {
    get: (id) => entries.get(id),
    mark(id, entry) {
      // A `done` outcome is final: a stale `applying` never overwrites it.
      if (entries.get(id)?.state === 'done' && entry.state === 'applying') return;
      entries.set(id, entry);
    },
    prune(now) {
      let n = 0;
      for (const [id, e] of entries) {
        if (e.expiresAt + graceMs < now) {
          entries.delete(id);
          n++;
        }
      }
      return n;
    },
    size: () => entries.size,
  };
}
