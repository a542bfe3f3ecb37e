/**
 * The finals a sharded stage's arbiter needs to verify a window: those of the targets it
 * verifies (pending verifications and this window's candidates, as each probe matches a
 * signal to a target), every final of a metric that a `global` probe reads, and the
 * window's first final with a span (the verifier takes the window length from it) — in
 * the window's order. For every verification the verifier then reads exactly the values
 * it would read from all of the window's finals, but its work grows with the actions, not
 * with the series.
 */
import type { WindowSignal } from '../model/signal';
import type { Probe, SignalRef, VerifierConfig } from '../verify/config';
import { targetOf, type Match } from '../verify/probes';

interface Matcher {
  metrics: ReadonlySet<string>;
  match: Match;
  tag: string | null;
}

function refsOf(p: Probe): SignalRef[] {
  return p.per !== null && typeof p.per === 'object' ? [p, p.per] : [p];
}

export type VerifySelector = (group: readonly WindowSignal[], targets: ReadonlySet<string>) => WindowSignal[];

export function createVerifySelector(config: VerifierConfig): VerifySelector {
  const matchers: Matcher[] = [];
  for (const fam of Object.values(config.families)) {
    for (const p of fam.probes)
      matchers.push({ metrics: new Set(refsOf(p).map((r) => r.metric)), match: p.match, tag: p.tag });
  }
  const wanted = (s: WindowSignal, targets: ReadonlySet<string>): boolean => {
    for (const m of matchers) {
      if (!m.metrics.has(s.metric)) continue;
      if (m.match === 'global') return true;
      const t = targetOf(s, m.match, m.tag);
      if (t !== null && targets.has(t)) return true;
    }
    return false;
  };
  return (group, targets) => {
    const out: WindowSignal[] = [];
    let spanned = false;
    for (const s of group) {
      if (s.partial) continue;
      const first = !spanned && s.windowEnd > s.windowStart;
      if (first) spanned = true;
      if (first || wanted(s, targets)) out.push(s);
    }
    return out;
  };
}
