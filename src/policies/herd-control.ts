/**
 * `herd-control`: per service (the `service` tag, else the source). A thundering herd —
 * request rate far above its trailing baseline, or a large share of requests being
 * retries — gets a `retry_policy.set` pushed to the service's clients: capped exponential
 * backoff with jitter (full jitter by default: Brooker, "Exponential Backoff And Jitter",
 * AWS Architecture Blog, 2015, https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/)
 * and a retry budget (Finagle's RetryBudget, https://twitter.github.io/finagle/guide/Clients.html#retries;
 * Envoy's retry budgets, https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/circuit_breaker.proto).
 *
 * While the herd persists, escalate one level per action (double base and cap, halve the
 * budget ratio, within limits); when calm, relax one level at a time; at level 0 and calm
 * for M windows, revert. The level in force is read from the lease (params.extra.level).
 */
import type { CommandParams, Evidence } from '../model/command';
import { completeParams, emptyParams } from '../actions/params';
import type { HerdControlConfig, HerdControlParams } from './herd-control.config';
import { groupByTarget } from './select';
import { total, fmt } from './signals';
import { ewmaStep, nextStreak, windowOf, type Streak } from './streak';
import type { Policy, Proposal } from './types';
import { judgeBurn, stepBurn, type BurnState } from '../signals/burn-rate';

interface TargetState {
  streak: Streak;
  /** EWMA of the request rate over non-storm windows, per second. */
  baseline: number | null;
  baselineWindows: number;
  /** Error-budget memory of the `slo` trigger; absent without one. */
  burn?: BurnState;
}

export interface HerdControlState {
  targets: Readonly<Record<string, TargetState>>;
}

/** Retry parameters at escalation `level` (0 = the initial policy). */
export function herdLevelParams(p: HerdControlParams, level: number): CommandParams {
  const f = 2 ** level;
  const base = Math.min(p.limits.maxBaseMs, p.initial.baseMs * f);
  const cap = Math.max(base, Math.min(p.limits.maxCapMs, p.initial.capMs * f));
  return completeParams({
    retryStrategy: p.initial.strategy,
    retryBaseMs: Math.round(base),
    retryCapMs: Math.round(cap),
    retryMaxAttempts: p.initial.maxAttempts,
    retryBudgetRatio: Math.max(p.limits.minBudgetRatio, p.initial.budgetRatio / f),
    retryBudgetFloorPerSec: p.initial.budgetFloorPerSec,
    extra: { level: String(level) },
  });
}

/** The highest useful level: the first at which base, cap and ratio all sit at their limits. */
export function herdMaxLevel(p: HerdControlParams): number {
  let level = 0;
  while (level < 30) {
    const a = herdLevelParams(p, level);
    const b = herdLevelParams(p, level + 1);
    if (a.retryBaseMs === b.retryBaseMs && a.retryCapMs === b.retryCapMs && a.retryBudgetRatio === b.retryBudgetRatio) break;
    level++;
  }
  return level;
}

export function createHerdControl(config: HerdControlConfig, version: string): Policy<HerdControlState> {
  const p = config.parameters;
  const maxLevel = herdMaxLevel(p);

  return {
    name: config.name,
    version,
    init: () => ({ targets: {} }),
    evaluate(state, signals, eventTime, view) {
      const groups = groupByTarget(signals, config.select, (s) => s.tags[p.targetTag] ?? (s.scope === 'series' && s.source !== '' ? s.source : null));
      const targets: Record<string, TargetState> = { ...state.targets };
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
        const prev = targets[target] as TargetState | undefined;

        const retryShare = requests > 0 ? retries / requests : retries > 0 ? 1 : 0;
        const errorShare = errors === null ? null : requests > 0 ? errors / requests : errors > 0 ? 1 : 0;
        const baseline = prev?.baseline ?? null;
        const learned = baseline !== null && (prev?.baselineWindows ?? 0) >= p.baseline.minWindows;
        const surgeAt = learned && baseline !== null ? baseline * p.storm.rateFactor : null;
        const evidence: Evidence[] = [];
        const reasons: string[] = [];
        if (surgeAt !== null && requests > surgeAt) {
          evidence.push({ signal: `${p.metrics.requests}:ratePerSec`, value: requests, threshold: surgeAt, comparison: '>' });
          reasons.push(`request rate ${fmt(requests)}/s > ${p.storm.rateFactor}× baseline ${fmt(surgeAt / p.storm.rateFactor)}/s`);
        }
        if (retryShare > p.storm.retryShare) {
          evidence.push({ signal: 'retry.share', value: retryShare, threshold: p.storm.retryShare, comparison: '>' });
          reasons.push(`retries ${fmt(retryShare * 100)}% of requests > ${fmt(p.storm.retryShare * 100)}%`);
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
        const storm = evidence.length > 0;
        const calm =
          (!learned || baseline === null || requests <= baseline * p.calm.rateFactor) &&
          retryShare <= p.calm.retryShare &&
          (p.storm.errorShare === null || errorShare === null || errorShare <= p.storm.errorShare) &&
          sloCalm;

        const streak = nextStreak(prev?.streak, win.windowStart, win.windowEnd, storm, calm);
        if (prev !== undefined && streak === prev.streak) continue;
        observed.push(target);
        const learnedBaseline = storm ? baseline : ewmaStep(baseline, requests, p.baseline.alpha);
        targets[target] = { streak, baseline: learnedBaseline, baselineWindows: (prev?.baselineWindows ?? 0) + (storm ? 0 : 1), ...(burn === undefined ? {} : { burn }) };

        const lease = view.lease(target, 'retry_policy');
        const level = lease === null ? null : Number.parseInt(lease.params.extra.level ?? '0', 10) || 0;
        if (streak.over >= p.stormWindows) {
          const next = level === null ? 0 : level + 1;
          if (next > maxLevel) continue; // at the strictest level: hold
          const errorNote = errorShare !== null && p.storm.errorShare === null ? `; errors ${fmt(errorShare * 100)}%` : '';
          proposals.push({
            target,
            type: 'retry_policy.set',
            kind: 'set',
            params: herdLevelParams(p, next),
            severity: Math.max(surgeAt !== null ? requests / surgeAt : 0, retryShare / p.storm.retryShare),
            streak: streak.over,
            reason: `herd for ${streak.over} windows (${reasons.join(', ')}${errorNote}); retry policy level ${next}${level === null ? '' : ` (was ${level})`}`,
            evidence,
            ...win,
          });
        } else if (level !== null && streak.calm >= p.relaxWindows && level > 0) {
          proposals.push({
            target,
            type: 'retry_policy.set',
            kind: 'relax',
            params: herdLevelParams(p, level - 1),
            severity: 0,
            streak: streak.calm,
            reason: `calm for ${streak.calm} windows (retries ${fmt(retryShare * 100)}% ≤ ${fmt(p.calm.retryShare * 100)}%); retry policy level ${level} → ${level - 1}`,
            evidence: [{ signal: 'retry.share', value: retryShare, threshold: p.calm.retryShare, comparison: '<=' }],
            ...win,
          });
        } else if (level === 0 && streak.calm >= p.calmWindows) {
          proposals.push({
            target,
            type: 'retry_policy.revert',
            kind: 'revert',
            params: emptyParams(),
            severity: 0,
            streak: streak.calm,
            reason: `normal for ${streak.calm} windows at level 0: revert the retry policy`,
            evidence: [{ signal: 'retry.share', value: retryShare, threshold: p.calm.retryShare, comparison: '<=' }],
            ...win,
          });
        }
      }
      if (windowMs > 0) {
        const horizon = eventTime - p.forgetAfterWindows * windowMs;
        for (const [target, t] of Object.entries(targets)) {
          if (t.streak.lastWindowEnd < horizon && view.lease(target, 'retry_policy') === null) delete targets[target];
        }
      }
      return { state: { targets }, proposals, observed };
    },
  };
}
