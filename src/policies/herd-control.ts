/**
 * `herd-control`: per service (the `service` tag, else the source). A thundering herd —
 * request rate far above its trailing baseline, or a large share of requests being
 * retries — gets a `retry_policy.set` pushed to the service's clients: capped exponential
 * backoff with jitter (full jitter by default: Brooker, "Exponential Backoff And Jitter",
 * AWS Architecture Blog, 2015, https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/)
 * and a retry budget (Finagle's RetryBudget, https://twitter.github.io/finagle/guide/Clients.html#retries;
 * Envoy's retry budgets, https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/circuit_breaker.proto).
 *
 * Level 0 is the clients' own policy (`initial`: by default the retry library's defaults;
 * the operator states what the clients run), the one they run without a command — so pushing
 * it would change nothing. A herd escalates from the level in force, one level per action,
 * but only once the storm has outlasted the level in force by N windows, so the clients get
 * to act on one level before the next is pushed. The first `delayLevels` levels delay rather
 * than drop: base and cap × backoffFactor per level, the budget left unset (the clients keep
 * their own), so the retries of requests failing late in an outage land after it instead of
 * being dropped by a budget. Above them a budget binds (the per-client floor withdrawn — the
 * storm trigger is "more retries than that ratio allows" — and the ratio at most
 * stormBudgetRatio), and each level above halves the ratio, within limits. When calm, relax
 * one level per `relaxWindows` calm windows since the last change (the same pacing down as
 * up, which is what keeps a herd that subsides because of the policy from flapping it); from
 * level 1, relaxing is the revert. The level in force is read from the lease (params.extra.level).
 *
 * Why the floor goes: a retry budget's per-client floor (Finagle's minRetriesPerSec) lets
 * a quiet client retry at all; summed over a fleet of quiet clients it is no budget — 1,000
 * clients at 1 request/s with a 10/s floor may retry 10,000 times a second. In a herd the
 * ratio, which scales with each client's own traffic, must be what binds.
 */
import type { CommandParams, Evidence } from '../model/command';
import type { WindowSignal } from '../model/signal';
import { completeParams, emptyParams } from '../actions/params';
import type { HerdControlConfig, HerdControlParams } from './herd-control.config';
import { groupByTarget } from './select';
import { total, fmt } from './signals';
import { describeThreshold } from '../signals/trigger';
import { ewmaStep, nextStreak, windowOf, type Streak } from './streak';
import type { Policy, Proposal } from './types';
import { forgetIdle, perTargetPaths, type TargetStepFn, type WorkingTable } from './target-table';
import { judgeBurn, stepBurn, type BurnState } from '../signals/burn-rate';
import type { BaselineSpec } from '../signals/baseline';
import { learnShares, resolveShares, shareBaselineSpec, type ShareMemory, type ShareThresholds } from './herd-shares';

interface TargetState {
  streak: Streak;
  /** EWMA of the request rate over non-storm windows, per second. */
  baseline: number | null;
  baselineWindows: number;
  /** Error-budget memory of the `slo` trigger; absent without one. */
  burn?: BurnState;
  /** Baselines of the retry and error shares (herd-shares.ts); absent before the first window. */
  shares?: ShareMemory;
}

export interface HerdControlState {
  targets: Readonly<Record<string, TargetState>>;
}

/**
 * Retry parameters at escalation `level` (0 = the clients' own policy, `initial`). Base and cap grow by backoffFactor per
 * level; the first `delayLevels` levels add `delayAttempts` attempts each and leave the budget unset (the clients keep
 * their own); above them a budget
 * binds (the floor withdrawn, the ratio at most stormBudgetRatio) and each further level halves its ratio.
 */
export function herdLevelParams(p: HerdControlParams, level: number): CommandParams {
  const f = p.backoffFactor ** level;
  const base = Math.min(p.limits.maxBaseMs, p.initial.baseMs * f);
  const cap = Math.max(base, Math.min(p.limits.maxCapMs, p.initial.capMs * f));
  const delays = Math.min(level, p.delayLevels);
  const binding = level - delays;
  const ratio = Math.min(p.initial.budgetRatio, p.limits.stormBudgetRatio);
  return completeParams({
    retryStrategy: p.initial.strategy,
    retryBaseMs: Math.round(base),
    retryCapMs: Math.round(cap),
    retryMaxAttempts: Math.min(p.limits.maxAttempts, p.initial.maxAttempts + delays * p.delayAttempts),
    // A delay level leaves the budget unset: the clients keep their own, whatever it is (none at all, too).
    retryBudgetRatio: binding === 0 ? null : Math.max(p.limits.minBudgetRatio, ratio / 2 ** (binding - 1)),
    retryBudgetFloorPerSec:
      binding === 0 ? null : Math.min(p.initial.budgetFloorPerSec, p.limits.stormBudgetFloorPerSec),
    extra: { level: String(level) },
  });
}

/** The highest useful level: the first at which base, cap and ratio all sit at their limits. */
export function herdMaxLevel(p: HerdControlParams): number {
  let level = 0;
  while (level < 30) {
    const a = herdLevelParams(p, level);
    const b = herdLevelParams(p, level + 1);
    const same = (
      k: 'retryBaseMs' | 'retryCapMs' | 'retryBudgetRatio' | 'retryMaxAttempts' | 'retryBudgetFloorPerSec',
    ) => a[k] === b[k];
    if (
      same('retryBaseMs') &&
      same('retryCapMs') &&
      same('retryBudgetRatio') &&
      same('retryMaxAttempts') &&
      same('retryBudgetFloorPerSec')
    )
      break;
    level++;
  }
  return level;
}

type Win = { windowStart: number; windowEnd: number };

/** Where a service stands: the level in force, whether it is leased, windows since it was set, the streak. */
interface Standing {
  level: number;
  leased: boolean;
  held: number;
  streak: Streak;
}

/** Why the window looks stormy or calm, for a proposal's reason and evidence. */
interface Why {
  reasons: string[];
  evidence: Evidence[];
  errorShare: number | null;
  retryShare: number;
  /** The calm threshold of the retry share this window (relative: resolved against the service's baseline). */
  calmShare: number;
  severity: number;
}

/** One level stricter, once the storm has outlasted the level in force; null at the strictest level. */
function escalation(
  p: HerdControlParams,
  maxLevel: number,
  target: string,
  at: Standing,
  why: Why,
  win: Win,
): Proposal | null {
  const { level, streak } = at;
  const next = level + 1;
  if (next > maxLevel) return null; // at the strictest level: hold
  const errorNote =
    why.errorShare !== null && p.storm.errorShare === null ? `; errors ${fmt(why.errorShare * 100)}%` : '';
  return {
    target,
    type: 'retry_policy.set',
    kind: 'set',
    params: herdLevelParams(p, next),
    severity: why.severity,
    streak: streak.over,
    reason: `herd for ${streak.over} windows (${why.reasons.join(', ')}${errorNote}); retry policy level ${next} (was ${level})`,
    evidence: why.evidence,
    ...win,
  };
}

/** One level laxer after `relaxWindows` calm windows since the last change; from level 1, the revert. */
function relaxation(p: HerdControlParams, target: string, at: Standing, why: Why, win: Win): Proposal | null {
  const { level, streak } = at;
  if (!at.leased || streak.calm < p.relaxWindows || at.held < p.relaxWindows) return null;
  const evidence: Evidence[] = [
    { signal: 'retry.share', value: why.retryShare, threshold: why.calmShare, comparison: '<=' },
  ];
  if (level > 1) {
    return {
      target,
      type: 'retry_policy.set',
      kind: 'relax',
      params: herdLevelParams(p, level - 1),
      severity: 0,
      streak: streak.calm,
      reason:
        `calm for ${streak.calm} windows (retries ${fmt(why.retryShare * 100)}% ≤ ${fmt(why.calmShare * 100)}%); ` +
        `retry policy level ${level} → ${level - 1}`,
      evidence,
      ...win,
    };
  }
  if (streak.calm < p.calmWindows) return null;
  return {
    target,
    type: 'retry_policy.revert',
    kind: 'revert',
    params: emptyParams(),
    severity: 0,
    streak: streak.calm,
    reason: `normal for ${streak.calm} windows at level ${level}: revert to the clients' own retry policy (level 0)`,
    evidence,
    ...win,
  };
}

/** What one window of a service reads: its shares, the storm triggers that fire, the burn memory. */
interface HerdReading {
  retryShare: number;
  errorShare: number | null;
  baseline: number | null;
  /** The baseline has seen enough calm windows to judge a surge by. */
  learned: boolean;
  /** The request rate a surge exceeds (null: baseline not learned yet). */
  surgeAt: number | null;
  reasons: string[];
  evidence: Evidence[];
  burn: BurnState | undefined;
  sloCalm: boolean;
  /** The share thresholds this window, against the service's own baselines. */
  shares: ShareThresholds;
}

/** Reads one window of a service against the storm triggers: surge, retry share, error share, SLO burn. */
function readHerd(
  p: HerdControlParams,
  spec: BaselineSpec,
  prev: TargetState | undefined,
  requests: number,
  retries: number,
  errors: number | null,
): HerdReading {
  const retryShare = requests > 0 ? retries / requests : retries > 0 ? 1 : 0;
  const errorShare = errors === null ? null : requests > 0 ? errors / requests : errors > 0 ? 1 : 0;
  const baseline = prev?.baseline ?? null;
  const learned = baseline !== null && (prev?.baselineWindows ?? 0) >= p.baseline.minWindows;
  const surgeAt = learned && baseline !== null ? baseline * p.storm.rateFactor : null;
  const evidence: Evidence[] = [];
  const reasons: string[] = [];
  if (surgeAt !== null && requests > surgeAt) {
    evidence.push({
      signal: `${p.metrics.requests}:ratePerSec`,
      value: requests,
      threshold: surgeAt,
      comparison: '>',
    });
    reasons.push(
      `request rate ${fmt(requests)}/s > ${p.storm.rateFactor}× baseline ${fmt(surgeAt / p.storm.rateFactor)}/s`,
    );
  }
  const shares = resolveShares(p, prev?.shares, spec);
  if (shares.storm !== null && retryShare > shares.storm) {
    evidence.push({ signal: 'retry.share', value: retryShare, threshold: shares.storm, comparison: '>' });
    const of = typeof p.storm.retryShare === 'number' ? '' : ` (${describeThreshold(p.storm.retryShare)})`;
    reasons.push(`retries ${fmt(retryShare * 100)}% of requests > ${fmt(shares.storm * 100)}%${of}`);
  }
  if (p.storm.errorShare !== null && errorShare !== null && errorShare > p.storm.errorShare) {
    evidence.push({ signal: 'error.share', value: errorShare, threshold: p.storm.errorShare, comparison: '>' });
    reasons.push(`errors ${fmt(errorShare * 100)}% of requests > ${fmt(p.storm.errorShare * 100)}%`);
  }
  // SLO burn rate on errors / requests (SRE workbook multi-window pairs): rates weigh each window by its traffic.
  let burn = prev?.burn;
  let sloCalm = true;
  if (p.slo !== undefined && errors !== null && requests > 0) {
    burn = stepBurn(burn, errors, requests, p.slo);
    const v = judgeBurn(burn, p.slo);
    sloCalm = v.calm;
    if (v.firing) {
      evidence.push({ signal: 'error.burn', value: v.rate, threshold: v.factor, comparison: '>=' });
      reasons.push(`error budget burning at ${fmt(v.rate)}× ≥ ${fmt(v.factor)}× (SLO ${fmt(p.slo.objective * 100)}%)`);
    }
  }
  return { retryShare, errorShare, baseline, learned, surgeAt, reasons, evidence, burn, sloCalm, shares };
}

/**
 * Calm: every storm trigger well under. Under our retry policy the budget itself holds the retry
 * share down, whether or not the failures are over: calm then also needs the errors — what the
 * clients would retry once the lease goes — under the calm share, or the revert restarts the herd (a flap).
 */
function isHerdCalm(p: HerdControlParams, r: HerdReading, requests: number, leased: boolean): boolean {
  const { errorShare, baseline } = r;
  const errorsCalm = !leased || errorShare === null || errorShare <= r.shares.errorCalm;
  return (
    errorsCalm &&
    (!r.learned || baseline === null || requests <= baseline * p.calm.rateFactor) &&
    r.retryShare <= r.shares.calm &&
    (p.storm.errorShare === null || errorShare === null || errorShare <= p.storm.errorShare) &&
    r.sloCalm
  );
}

export function createHerdControl(
  config: HerdControlConfig,
  version: string,
): Policy<HerdControlState, WorkingTable<TargetState>> {
  const p = config.parameters;
  const maxLevel = herdMaxLevel(p);
  const spec = shareBaselineSpec(p);

  function decideLevel(target: string, at: Standing, why: Why, win: Win): Proposal | null {
    if (at.streak.over >= p.stormWindows && at.held >= p.stormWindows)
      return escalation(p, maxLevel, target, at, why, win);
    return relaxation(p, target, at, why, win);
  }

  const targetOf = (s: WindowSignal): string | null =>
    s.tags[p.targetTag] ?? (s.scope === 'series' && s.source !== '' ? s.source : null);

  const step: TargetStepFn<TargetState> = (table, signals, eventTime, view) => {
    const groups = groupByTarget(signals, config.select, targetOf);
    const proposals: Proposal[] = [];
    const observed: string[] = [];
    let windowMs = 0;
    for (const [target, sigs] of groups) {
      const requests = total(sigs, p.metrics.requests, 'ratePerSec');
      if (requests === null) continue;
      const retries = total(sigs, p.metrics.retries, 'ratePerSec') ?? 0;
      const errors = total(sigs, p.metrics.errors, 'ratePerSec');
      const win = windowOf(sigs.filter((s) => s.metric === p.metrics.requests));
      windowMs = Math.max(windowMs, win.windowEnd - win.windowStart);
      const prev = table.get(target);

      const r = readHerd(p, spec, prev, requests, retries, errors);
      const { retryShare, errorShare, baseline, surgeAt, reasons, evidence, burn } = r;
      const storm = evidence.length > 0;
      const lease = view.lease(target, 'retry_policy');
      const calm = isHerdCalm(p, r, requests, lease !== null);

      const streak = nextStreak(prev?.streak, win.windowStart, win.windowEnd, storm, calm);
      if (prev !== undefined && streak === prev.streak) continue;
      observed.push(target);
      const learnedBaseline = storm ? baseline : ewmaStep(baseline, requests, p.baseline.alpha);
      table.put(target, {
        streak,
        baseline: learnedBaseline,
        baselineWindows: (prev?.baselineWindows ?? 0) + (storm ? 0 : 1),
        ...(burn === undefined ? {} : { burn }),
        // Our budget holds the retry share down, and a storm is not the service's normal: frozen then.
        shares: learnShares(prev?.shares, retryShare, errorShare, storm || lease !== null, spec),
      });

      const level = lease === null ? 0 : Number.parseInt(lease.params.extra.level ?? '0', 10) || 0;
      // Windows since the level in force was set: a level gets N windows to act before the next.
      const span = win.windowEnd - win.windowStart;
      const held = lease === null || span <= 0 ? Infinity : Math.round((win.windowEnd - lease.changedAt) / span);
      const proposal = decideLevel(
        target,
        { level, leased: lease !== null, held, streak },
        {
          reasons,
          evidence,
          errorShare,
          retryShare,
          calmShare: r.shares.calm,
          severity: Math.max(
            surgeAt !== null ? requests / surgeAt : 0,
            r.shares.storm !== null && r.shares.storm > 0 ? retryShare / r.shares.storm : 0,
          ),
        },
        win,
      );
      if (proposal !== null) proposals.push(proposal);
    }
    const forget = forgetIdle<TargetState>(view, eventTime, windowMs, p.forgetAfterWindows, 'retry_policy');
    return { forget, proposals, observed };
  };

  return { name: config.name, version, perTarget: { targetOf }, ...perTargetPaths(step) };
}
