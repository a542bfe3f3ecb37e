/**
 * The finals a sharded stage's arbiter needs to verify a window: those of the targets it
 * verifies (pending verifications and this window's candidates but renewals, as each probe matches a
 * signal to a target), every final of a metric that a `global` probe reads, and the
 * window's first final with a span (the verifier takes the window length from it) — in
 * the window's order. For every verification the verifier then reads exactly the values
 * it would read from all of the window's finals, but its work grows with the actions, not
 * with the series.
 */
import type { Candidate } from '../guardrails/types';
import type { WindowSignal } from '../model/signal';
import type { Probe, SignalRef, VerifierConfig } from '../verify/config';
import { isRenewalReason } from '../verify/pending';
import { targetOf, type Match } from '../verify/probes';

interface Matcher {
  metrics: ReadonlySet<string>;
  match: Match;
  tag: string | null;
}

function refsOf(p: Probe): SignalRef[] {
  return p.per !== null && typeof p.per === 'object' ? [p, p.per] : [p];
}

/**
 * The target of a candidate whose command may start a verification, else null: a renewal's
 * command keeps the candidate's reason `renew lease (…` at its start (after a canary group's
 * note, which the verifier strips), so the verifier reads it as a renewal and starts nothing;
 * a renewal of a target under verification is a pending target anyway. Renewals are some
 * half of a leasing fleet's candidates, and their finals half of what shards forward.
 */
export function verifiedTargetOf(c: Candidate): string | null {
  return isRenewalReason(c.reason) ? null : c.target;
}

/** Adds the targets of `candidates` whose commands may start a verification (verifiedTargetOf) to `targets`. */
export function addVerifiedTargets(targets: Set<string>, candidates: readonly { pc: { cand: Candidate } }[]): void {
  for (const c of candidates) {
    const t = verifiedTargetOf(c.pc.cand);
    if (t !== null) targets.add(t);
  }
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
