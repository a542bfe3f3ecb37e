/**
 * Which decision shards a final goes to when stage two is split over processes: stage one
 * writes it to the repartition topic's partition of each (docs/scale-out.md, "The Kafka
 * wiring"). The same routing as the in-process sharded stage (sharded-decide.ts, route()):
 * the shard of each per-target policy's target, a whole policy's owner — and, so that the
 * arbiter's verification reads what it would read from all finals, the shards that may hold
 * a candidate or lease about the target a verification probe matches the final to. A final
 * nobody reads goes to one shard by its key, so that every final of a window is in some shard
 * (the window's first final gives the verifier the window length).
 */
import type { WindowSignal } from '../model/signal';
import type { Setup } from '../policies/engine';
import type { VerifierConfig } from '../verify/config';
import { targetOf, type Match } from '../verify/probes';
import { hashShard } from './sharded-decide';
import type { ShardPlan } from './shard-state';

interface Matcher {
  metrics: ReadonlySet<string>;
  match: Match;
  tag: string | null;
}

function matchersOf(config: VerifierConfig | undefined): Matcher[] {
  const out: Matcher[] = [];
  for (const fam of Object.values(config?.families ?? {}))
    for (const p of fam.probes) {
      const refs = p.per !== null && typeof p.per === 'object' ? [p, p.per] : [p];
      out.push({ metrics: new Set(refs.map((r) => r.metric)), match: p.match, tag: p.tag });
    }
  return out;
}

/** The shards a final goes to, ascending; never empty. */
export type SplitRouter = (s: WindowSignal) => number[];

export function createSplitRouter(setup: Setup, plan: ShardPlan, verifier?: VerifierConfig): SplitRouter {
  const matchers = matchersOf(verifier);
  return (s) => {
    const to = new Set<number>();
    for (const e of setup.entries) {
      const owner = plan.ownerOf(e);
      if (owner !== null) to.add(owner);
      else {
        const t = e.cp.policy.perTarget!.targetOf(s);
        if (t !== null) to.add(plan.shardOfTarget(e.cp.name, t));
      }
    }
    for (const m of matchers) {
      if (!m.metrics.has(s.metric)) continue;
      // A global probe's finals are all read: shard 0 forwards them.
      if (m.match === 'global') {
        to.add(0);
        continue;
      }
      const t = targetOf(s, m.match, m.tag);
      if (t !== null) for (const e of setup.entries) to.add(plan.shardOfTarget(e.cp.name, t));
    }
    if (to.size === 0) to.add(hashShard(s.key, plan.shards));
    return [...to].sort((a, b) => a - b);
  };
}
