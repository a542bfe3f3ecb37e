/**
 * The arbiter of a sharded stage two (docs/scale-out.md, "Stage two split by target"): the
 * single owner of everything in the guardrail chain that reads fleet-wide state — blast
 * radius as a share of all targets, the policy and global rate limits, the lease caps. It
 * sees the shards' candidates, each with its target's guardrail memory and leases, and their
 * counts, never their finals: its work grows with candidate commands, not with series. It
 * runs the engine's own judgeCandidate (chain and mode) over the candidates merged in the
 * engine's global candidateOrder, so a window judges exactly as the single engine's would,
 * and settles back to each shard its candidates' verdicts. It only judges: building, hashing
 * and signing commands and decisions is per target, so the shards do it from the verdicts,
 * in parallel (shard-stage.ts).
 */
import { leaseKey } from '../actions/leases';
import type { ControlRecord, ControlState } from '../guardrails/control';
import { initialControlState } from '../guardrails/control';
import { targetKey, type Bucket, type GuardDraft } from '../guardrails/types';
import type { Setup } from '../policies/engine';
import { candidateOrder, type LeaseCounts } from '../policies/engine-support';
import { judgeCandidate, type JudgeRound } from '../policies/verdict';
import { controlEngine, type ControlDeps } from '../policies/engine-control';
import type { DecisionEngineState } from '../policies/engine-types';
import { type Settlement, type ShardCandidate, type ShardWindow, type WindowFrame } from './shard-stage';

/** A candidate as the arbiter judges it: where it came from, and its keys, made once. */
interface Judged {
  shard: number;
  index: number;
  c: ShardCandidate;
  /** targetKey(policy, target) */
  tk: string;
  /** leaseKey(policy, target, family) */
  lk: string;
}

/** Lease counts from the shards' totals, with per-target detail only for the candidates' targets. */
class ArbiterCounts implements LeaseCounts {
  total = 0;
  private readonly perPolicy = new Map<string, number>();
  private readonly targets = new Map<string, number>();
  private readonly perTarget = new Map<string, number>();

  constructor(shards: readonly ShardWindow[], candidates: readonly Judged[]) {
    for (const s of shards) {
      this.total += s.leases.total;
      for (const [p, n] of s.leases.perPolicy) this.perPolicy.set(p, (this.perPolicy.get(p) ?? 0) + n);
      for (const [p, n] of s.leases.targets) this.targets.set(p, (this.targets.get(p) ?? 0) + n);
    }
    for (const { tk, c } of candidates) if (!this.perTarget.has(tk)) this.perTarget.set(tk, c.leases.length);
  }
  policyLeases(policy: string): number {
    return this.perPolicy.get(policy) ?? 0;
  }
  targetsUnderAction(policy: string): number {
    return this.targets.get(policy) ?? 0;
  }
  underAction(_policy: string, _target: string, tk: string): boolean {
    return (this.perTarget.get(tk) ?? 0) > 0;
  }
  // add and remove mirror LeaseIndex's: a target counts while it holds at least one lease.
  add(policy: string, target: string): void {
    this.addAt(policy, targetKey(policy, target));
  }
  remove(policy: string, target: string): void {
    this.removeAt(policy, targetKey(policy, target));
  }
  /** add, with the target's key the caller made. */
  addAt(policy: string, tk: string): void {
    this.total++;
    this.perPolicy.set(policy, this.policyLeases(policy) + 1);
    const n = this.perTarget.get(tk) ?? 0;
    if (n === 0) this.targets.set(policy, this.targetsUnderAction(policy) + 1);
    this.perTarget.set(tk, n + 1);
  }
  /** remove, with the target's key the caller made. */
  removeAt(policy: string, tk: string): void {
    this.total--;
    this.perPolicy.set(policy, (this.perPolicy.get(policy) ?? 1) - 1);
    const n = this.perTarget.get(tk) ?? 0;
    if (n === 1) this.targets.set(policy, this.targetsUnderAction(policy) - 1);
    if (n > 0) this.perTarget.set(tk, n - 1);
  }
}

export interface ArbiterOutput {
  /** One per shard, in shard order: the verdicts on its candidates and its guardrail slices after them. */
  settlements: Settlement[];
}

/** The arbiter's own state: the control replica and the rate-limit buckets (per policy and global). */
export interface ArbiterState {
  control: ControlState;
  buckets: Readonly<Record<string, Bucket>>;
}

export interface Arbiter {
  decide(frame: WindowFrame, shards: readonly ShardWindow[]): ArbiterOutput;
  /** Applies an operator's record to the arbiter's control replica; why it was refused, else undefined. */
  onControl(control: ControlRecord, deps: ControlDeps): string | undefined;
  state(): ArbiterState;
  restore(state: ArbiterState): void;
}

/** The engine state the guardrails and modes read in the arbiter: control and buckets, no leases or policies. */
function pseudoState(s: ArbiterState, lastEventTime: number | null): DecisionEngineState {
  return {
    windowMs: null,
    lastEventTime,
    policies: {},
    guard: { control: s.control, lastChange: {}, breakers: {}, buckets: s.buckets },
    leases: {},
  };
}

/**
 * Which leases exist after a passed candidate, the counts following — the engine's putLease
 * over a set: the arbiter needs only which leases exist, not the leases.
 */
function putPresence(present: Set<string>, counts: ArbiterCounts, j: Judged, policy: string, exists: boolean): void {
  const had = present.has(j.lk);
  if (exists) present.add(j.lk);
  else present.delete(j.lk);
  if (had && !exists) counts.removeAt(policy, j.tk);
  if (!had && exists) counts.addAt(policy, j.tk);
}

/**
 * The settlement of one shard's candidates (`keys`: theirs, in report order): their verdicts,
 * in the order judged, and their guardrail slices.
 */
function settlementOf(keys: readonly string[], guard: GuardDraft, verdicts: Settlement['verdicts']): Settlement {
  const s: Settlement = { lastChange: new Map(), breakers: new Map(), verdicts };
  for (const tk of keys) {
    s.lastChange.set(tk, guard.lastChange[tk] ?? null);
    s.breakers.set(tk, guard.breakers[tk] ?? null);
  }
  return s;
}

export function createArbiter(setup: Setup): Arbiter {
  let own: ArbiterState = { control: initialControlState(), buckets: {} };

  return {
    decide(frame, shards) {
      const keys = shards.map((s) => s.candidates.map((c) => targetKey(c.pc.cand.policy, c.pc.cand.target)));
      const all: Judged[] = [];
      shards.forEach((s, shard) =>
        s.candidates.forEach((c, index) => {
          const { entry, cand } = c.pc;
          const lk = leaseKey(entry.cp.name, cand.target, cand.family);
          all.push({ shard, index, c, tk: keys[shard][index], lk });
        }),
      );
      all.sort((a, b) => candidateOrder(a.c.pc.cand, b.c.pc.cand));
      const guard: GuardDraft = { control: own.control, lastChange: {}, breakers: {}, buckets: { ...own.buckets } };
      // Which leases exist is all the chain reads of them; the shards build the leases themselves.
      const present = new Set<string>();
      for (const { c, tk } of all) {
        if (c.lastChange !== undefined) guard.lastChange[tk] = c.lastChange;
        if (c.breaker !== undefined) guard.breakers[tk] = c.breaker;
        for (const l of c.leases) present.add(leaseKey(l.policy, l.target, l.family));
      }
      const known = new Map<string, number>();
      for (const s of shards) for (const [p, n] of s.known) known.set(p, (known.get(p) ?? 0) + n);
      const r: JudgeRound = {
        state: pseudoState(own, frame.eventTime),
        eventTime: frame.eventTime,
        windowMs: frame.windowMs,
        guard,
      };
      const counts = new ArbiterCounts(shards, all);
      const verdicts: Settlement['verdicts'][] = shards.map(() => []);
      for (const j of all) {
        const { entry, cand } = j.c.pc;
        const facts = { targetKey: j.tk, leaseExists: present.has(j.lk) };
        const verdict = judgeCandidate(setup.modeOf, setup.global.global, r, known, counts, entry, cand, facts);
        verdicts[j.shard].push({ index: j.index, verdict });
        if (verdict.ok) putPresence(present, counts, j, entry.cp.name, verdict.candidate.action !== 'revert');
      }
      own = { control: own.control, buckets: guard.buckets };
      return { settlements: shards.map((_, i) => settlementOf(keys[i], guard, verdicts[i])) };
    },
    onControl(control, deps) {
      const r = controlEngine(pseudoState(own, null), control, deps);
      own = { ...own, control: r.state.guard.control };
      return r.refused;
    },
    state: () => own,
    restore(s) {
      own = s;
    },
  };
}
