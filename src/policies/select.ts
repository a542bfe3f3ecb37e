/**
 * Target selection: `select: { metric?, tags? }` in a policy's config picks the targets a
 * policy may act on. A target is selected when at least one of its final signals in the
 * window matches (same metric if given, and every given tag equal); the policy then reads
 * all of that target's signals. Tags must be dimension tags of the series (by default
 * `tenant` and `service`), since those are the only tags a signal carries.
 */
import { z } from 'zod';
import type { WindowSignal } from '../model/signal';

export const selectorSchema = z
  .object({
    metric: z.string().min(1).optional(),
    tags: z.record(z.string(), z.string()).optional(),
  })
  .strict()
  .default({});

export type Selector = z.infer<typeof selectorSchema>;

export function matchesSelector(signal: WindowSignal, select: Selector): boolean {
  if (select.metric !== undefined && signal.metric !== select.metric) return false;
  if (select.tags) {
    for (const [k, v] of Object.entries(select.tags)) if (signal.tags[k] !== v) return false;
  }
  return true;
}

export function isEmptySelector(select: Selector): boolean {
  return select.metric === undefined && (select.tags === undefined || Object.keys(select.tags).length === 0);
}

/**
 * Groups signals by target (`targetOf` returns null for signals the policy ignores) and
 * keeps only targets the selector selects. Targets come back sorted.
 */
export function groupByTarget(
  signals: readonly WindowSignal[],
  select: Selector,
  targetOf: (s: WindowSignal) => string | null,
): Map<string, WindowSignal[]> {
  const groups = new Map<string, WindowSignal[]>();
  for (const s of signals) {
    if (s.partial) continue;
    const t = targetOf(s);
    if (t === null) continue;
    const g = groups.get(t);
    if (g) g.push(s);
    else groups.set(t, [s]);
  }
  const all = isEmptySelector(select);
  const out = new Map<string, WindowSignal[]>();
  for (const t of [...groups.keys()].sort()) {
    const g = groups.get(t) as WindowSignal[];
    if (all || g.some((s) => matchesSelector(s, select))) out.set(t, g);
  }
  return out;
}
