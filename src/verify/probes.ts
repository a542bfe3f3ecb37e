/**
 * Reading a probe (a command family's key signal) for one target from one window's final
 * signals. The window's signals are indexed once per call, by metric and then by target,
 * lazily: with P pending verifications and S signals a window costs O(S + P), not O(P·S).
 *
 * Values are computed with the policies' own readers (`worst`, `total`), so the "before"
 * measured here is the number the policy saw in its evidence.
 */
import type { WindowSignal } from '../model/signal';
import { total, worst } from '../policies/signals';
import type { MATCHES, Probe, SignalRef } from './config';

export type Match = (typeof MATCHES)[number];

export interface SignalIndex {
  /** The probe's value for `target` in this window; null when the window has no data for it. */
  value(probe: Probe, target: string): number | null;
}

export function targetOf(s: WindowSignal, match: Match, tag: string | null): string | null {
  const source = s.scope === 'series' && s.source !== '' ? s.source : null;
  switch (match) {
    case 'global':
      return '';
    case 'source':
      return source;
    case 'tag':
      return tag === null ? null : (s.tags[tag] ?? null);
    case 'tag-or-source':
      return (tag === null ? undefined : s.tags[tag]) ?? source;
  }
}

/**
 * `only`: the targets that will be asked about (the pending verifications'); groups of other
 * targets are not built — with a verification per hundred series, most of the window is not.
 */
export function createSignalIndex(signals: readonly WindowSignal[], only?: ReadonlySet<string>): SignalIndex {
  const byMetric = new Map<string, WindowSignal[]>();
  for (const s of signals) {
    if (s.partial) continue;
    const list = byMetric.get(s.metric);
    if (list) list.push(s);
    else byMetric.set(s.metric, [s]);
  }
  const groups = new Map<string, Map<string, WindowSignal[]>>();

  const groupFor = (ref: SignalRef, match: Match, tag: string | null, target: string): WindowSignal[] => {
    const key = `${ref.metric}\u001f${ref.scope ?? ''}\u001f${match}\u001f${tag ?? ''}`;
    let byTarget = groups.get(key);
    if (byTarget === undefined) {
      byTarget = new Map();
      for (const s of byMetric.get(ref.metric) ?? []) {
        if (ref.scope !== null && s.scope !== ref.scope) continue;
        const t = targetOf(s, match, tag);
        if (t === null || (only !== undefined && match !== 'global' && !only.has(t))) continue;
        const g = byTarget.get(t);
        if (g) g.push(s);
        else byTarget.set(t, [s]);
      }
      groups.set(key, byTarget);
    }
    return byTarget.get(match === 'global' ? '' : target) ?? [];
  };

  const read = (ref: SignalRef, match: Match, tag: string | null, target: string): number | null => {
    const group = groupFor(ref, match, tag, target);
    if (group.length === 0) return null;
    const v = ref.combine === 'worst' ? worst(group, ref.metric, ref.stat) : total(group, ref.metric, ref.stat);
    return v !== null && Number.isFinite(v) ? v : null;
  };

  return {
    value(probe, target) {
      const num = read(probe, probe.match, probe.tag, target);
      if (probe.per === null) return num;
      if (typeof probe.per === 'number') return num === null ? null : num / probe.per;
      // A ratio needs its denominator; a missing numerator beside a present denominator is
      // a zero (no retries reported in a window with requests means no retries).
      const den = read(probe.per, probe.match, probe.tag, target);
      if (den === null || !(den > 0)) return null;
      const v = (num ?? 0) / den;
      return Number.isFinite(v) ? v : null;
    },
  };
}
