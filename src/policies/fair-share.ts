/**
 * Weighted max-min fair shares by water-filling (Bertsekas & Gallager, "Data Networks",
 * 2nd ed., 1992, §6.5.2; the weighted form as used for multi-resource fairness by Ghodsi
 * et al., "Dominant Resource Fairness", NSDI 2011): raise every claimant's share in
 * proportion to its weight until it reaches its demand or the capacity runs out; what a
 * satisfied claimant does not use is redistributed among the rest.
 *
 * Properties (test/unit/policies/fair-share.test.ts checks them with fast-check):
 * total ≤ capacity; no share above its demand; if the total demand fits, everyone gets
 * their demand; otherwise the capacity is used up, and every unsatisfied claimant's
 * share/weight is the same level, at least the share/weight of any satisfied one.
 */

export interface Claim {
  id: string;
  /** Non-negative demand. */
  demand: number;
  /** Positive weight. */
  weight: number;
}

/** Share per id. Deterministic: ties are broken by id. */
export function weightedFairShares(capacity: number, claims: readonly Claim[]): Record<string, number> {
  const shares: Record<string, number> = {};
  for (const c of claims) shares[c.id] = 0;
  if (!(capacity > 0)) return shares;
  // Claimants in order of demand per unit weight: the water rises past them in this order.
  const order = [...claims]
    .filter((c) => c.demand > 0 && c.weight > 0)
    .sort((a, b) => a.demand / a.weight - b.demand / b.weight || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let remaining = capacity;
  let weightLeft = order.reduce((s, c) => s + c.weight, 0);
  let i = 0;
  for (; i < order.length; i++) {
    const c = order[i];
    const level = remaining / weightLeft; // share per unit weight if everyone left were capped now
    if (c.demand / c.weight > level) break;
    shares[c.id] = c.demand;
    remaining = Math.max(0, remaining - c.demand);
    weightLeft -= c.weight;
  }
  // Everyone from i on wants more than the water level: split what is left by weight. The
  // last one gets the exact remainder, so rounding can never push the total over capacity.
  const rest = order.slice(i);
  let given = 0;
  rest.forEach((c, j) => {
    const share = Math.min(
      c.demand,
      j === rest.length - 1 ? Math.max(0, remaining - given) : (remaining * c.weight) / weightLeft,
    );
    shares[c.id] = share;
    given += share;
  });
  return shares;
}
