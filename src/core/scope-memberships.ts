/**
 * A series' scope memberships, shared by every live series of the same scope groups.
 *
 * Why: the memberships of a series depend only on its metric and the group tag values, and
 * thousands of series share them (every source of a tenant). Built per series they cost
 * ~120 B each (membership objects, frozen tag maps, key strings, the list); shared, the
 * cost is per group. Memberships are immutable, so sharing them changes no output.
 *
 * A list is reference-counted by the live series holding it and dropped with the last one,
 * so the table never outgrows the live series (groups come and go with their tag values).
 */
import { pickTags, scopeKey } from './series-key';
import type { Compiled, InternalState, ScopeMembership } from './state';

export interface ScopeList {
  /**
   * The members' keys joined with '|': unique per list, because every scope key has exactly
   * two unescaped '|' (its parts are escaped), so the joined string splits back into keys.
   */
  readonly key: string;
  readonly members: readonly ScopeMembership[];
  /** Live series holding this list. */
  refs: number;
}

/** The list of a metric no scope aggregates: shared by all such series, never counted. */
export const NO_SCOPES: ScopeList = Object.freeze({ key: '', members: Object.freeze([]), refs: 0 });

/** The scope list of a new series (of `metric`, with dimension tags `dimTags`), counted as held. */
export function acquireScopes(
  st: InternalState,
  c: Compiled,
  metric: string,
  dimTags: Readonly<Record<string, string>>,
): ScopeList {
  const defs = c.scopesByMetric.get(metric);
  if (defs === undefined) return NO_SCOPES;
  const keys = defs.map((s) => scopeKey(s.name, metric, pickTags(dimTags, s.groupBy), s.groupBy));
  const key = keys.join('|');
  let list = st.scopeLists.get(key);
  if (list === undefined) {
    const members = defs.map((s, i) =>
      Object.freeze({ scope: s.name, key: keys[i], metric, tags: Object.freeze(pickTags(dimTags, s.groupBy)) }),
    );
    list = { key, members: Object.freeze(members), refs: 0 };
    st.scopeLists.set(key, list);
  }
  list.refs += 1;
  return list;
}

/** A series holding `list` is gone. */
export function releaseScopes(st: InternalState, list: ScopeList): void {
  if (list === NO_SCOPES) return;
  list.refs -= 1;
  if (list.refs === 0) st.scopeLists.delete(list.key);
}
