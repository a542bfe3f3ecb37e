/**
 * A window close's stage-one scope partials (closer.ts): one sketch per scope group with data
 * in the window, a zero-filled partial for each group seen recently but not in it, and their
 * merge into the close's key-ordered outputs.
 */
import type { WindowSignal } from '../model/signal';
import { createSketch, type DDSketch } from '../signals/ddsketch';
import { sketchToBase64 } from '../signals/sketch-codec';
import { buildSignal } from '../signals/window-signal';
import { compareKeys } from './series-key';
import type { Compiled, InternalState, ScopeMembership } from './state';
import type { EngineOutput } from './types';

const bySignalKey = (a: WindowSignal, b: WindowSignal): number => compareKeys(a.key, b.key);

/** A scope group's sketch in this close. */
export interface GroupAcc {
  readonly membership: ScopeMembership;
  readonly sk: DDSketch;
}

/** The stage-one group of scope membership m in this close, created on first use. */
export function groupOf(c: Compiled, m: ScopeMembership, groups: Map<string, GroupAcc>): GroupAcc {
  let g = groups.get(m.key);
  if (g === undefined) {
    g = { membership: m, sk: createSketch(c.sketch) };
    groups.set(m.key, g);
  }
  return g;
}

/**
 * Pushes both key-sorted lists into `out` in key order (ties: a first). The partials are few
 * and the series signals many: each partial's place is found by binary search, so most
 * signals are pushed without reading their keys.
 */
export function mergeByKey(a: WindowSignal[], b: WindowSignal[], out: EngineOutput[]): void {
  let i = 0;
  for (const p of b) {
    let lo = i;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(a[mid].key, p.key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    while (i < lo) out.push({ kind: 'signal', signal: a[i++] });
    out.push({ kind: 'signal', signal: p });
  }
  while (i < a.length) out.push({ kind: 'signal', signal: a[i++] });
}

/** The partials of window [s, e): groups with data, then recent groups without (zero-filled), key-ordered. */
export function emitPartials(
  st: InternalState,
  c: Compiled,
  s: number,
  e: number,
  horizon: number,
  groups: Map<string, GroupAcc>,
): WindowSignal[] {
  const signals: WindowSignal[] = [];
  if (groups.size === 0 && st.scopeRecent.size === 0) return signals;
  // Partials cover every owned partition — one with no data for a group contributed nothing —
  // and carry source '*': a scope aggregate spans sources; its group values are in `tags`.
  const partitions = st.ownedIds.slice();
  const partial = (m: ScopeMembership, sk: DDSketch | null): WindowSignal =>
    buildSignal({ scope: m.scope, key: m.key, source: '*', metric: m.metric, tags: m.tags }, s, e, sk, {
      ewma: 0,
      trend: 0,
      partial: true,
      partitions,
      sketch: sk === null ? c.emptySketchB64 : sketchToBase64(sk),
    });
  for (const g of groups.values()) {
    signals.push(partial(g.membership, g.sk));
    if (c.zeroFill > 0) {
      const known = st.scopeRecent.get(g.membership.key);
      if (known === undefined) {
        st.scopeRecent.set(g.membership.key, { membership: g.membership, lastDataStart: s });
      } else known.lastDataStart = s;
      const until = s + c.zeroFill * c.advance;
      if (until > st.zeroFillUntil) st.zeroFillUntil = until;
    }
  }
  for (const [key, g] of st.scopeRecent) {
    if (g.lastDataStart === s) continue;
    if (g.lastDataStart < horizon) st.scopeRecent.delete(key);
    else signals.push(partial(g.membership, null));
  }
  return signals.sort(bySignalKey);
}
