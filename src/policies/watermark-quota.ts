/**
 * `watermark-quota`: per tenant of a multitenant cluster. Utilization = Σ tenant ingress
 * rates / cluster capacity. Above the high watermark for `overWindows` windows, compute
 * weighted max-min fair shares (fair-share.ts) of capacity × targetUtilization and
 * `quota.set` every tenant whose demand exceeds its share (quota = share). Below the low
 * watermark, release quotas additively (one step of capacity per window, after a minimum
 * hold time), then `quota.revert`. In between: hold. Tightening happens only above the
 * high watermark and loosening only below the low one, so load that hovers inside the
 * band can never make quotas flap — the watermark pair is a Schmitt trigger.
 *
 * A burst past capacity leaves a backlog at the brokers before the quota lands (two windows
 * and a flush), and a quota at the fair share of 77.5% drains it only at the 22.5% left over:
 * seconds of latency for every tenant. So the policy also keeps a fluid estimate of that
 * backlog (quota-drain.ts) and, when it throttles, makes the tenants over their share pay it
 * back within `drainWindows` windows, then restores their quotas to the share.
 */
import type { Evidence } from '../model/command';
import type { WindowSignal } from '../model/signal';
import { completeParams, emptyParams } from '../actions/params';
import { weightedFairShares } from './fair-share';
import type { WatermarkQuotaConfig } from './watermark-quota.config';
import { groupByTarget } from './select';
import { fmt, total } from './signals';
import { nextStreak, windowOf, type Streak } from './streak';
import type { LeaseView, Policy, PolicyView, Proposal } from './types';
import { backlogEvidence, drainCuts, keepRestores, nextBacklog, restoreQuotas } from './quota-drain';

export interface WatermarkQuotaState {
  /** Cluster-level streak: `over` = windows above high, `calm` = windows below low. */
  streak: Streak | null;
  /** Last capacity seen (bytes/s), used when a window lacks the gauge. */
  capacity: number | null;
  /** Estimated bytes queued at the brokers beyond their capacity (quota-drain.ts); absent = 0. */
  backlog?: number;
  /** Tenant → the fair-share quota to restore once the backlog has drained; absent = none. */
  restore?: Readonly<Record<string, number>>;
}

/** Whole bytes/s, rounding down — except that 774999.9999999 (a product's rounding error) is 775000. */
export function floorBytes(x: number): number {
  return Math.floor(x + 1e-6);
}

export type Params = WatermarkQuotaConfig['parameters'];

/** The cluster in this window: capacity and utilization, the watermark streak, the window's span. */
export interface ClusterWindow {
  readonly capacity: number;
  readonly utilization: number;
  readonly streak: Streak;
  readonly win: { windowStart: number; windowEnd: number };
  /** Estimated bytes queued beyond capacity after this window. */
  readonly backlog: number;
}

/** Evidence of the cluster's utilization against one watermark. */
export function utilEvidence(cl: ClusterWindow, threshold: number, comparison: '>' | '<'): Evidence {
  return { signal: 'cluster.utilization', value: cl.utilization, threshold, comparison };
}

/**
 * Above the high watermark: weighted max-min fair shares of capacity × targetUtilization, and a
 * quota for every tenant whose demand exceeds its share — unless it would not meaningfully tighten the one held.
 */
function tightenQuotas(
  p: Params,
  targetUtilization: number,
  cl: ClusterWindow,
  tenants: readonly string[],
  demand: ReadonlyMap<string, number>,
  view: PolicyView,
  restore: Record<string, number>,
): Proposal[] {
  const { streak, utilization } = cl;
  const proposals: Proposal[] = [];
  const budget = cl.capacity * targetUtilization;
  const shares = weightedFairShares(
    budget,
    tenants.map((t) => ({ id: t, demand: demand.get(t) ?? 0, weight: p.weights[t] ?? p.defaultWeight })),
  );
  const over = tenants.filter((t) => (demand.get(t) ?? 0) > (shares[t] ?? 0) * (1 + 1e-9));
  const drain = drainCuts(p, cl, over, shares);
  for (const t of over) {
    const d = demand.get(t) ?? 0;
    const share = shares[t] ?? 0;
    const cut = drain.get(t) ?? 0;
    const quota = Math.max(p.minQuotaBytesPerSec, floorBytes(share - cut));
    const existing = view.lease(t, 'quota')?.params.quotaBytesPerSec ?? null;
    if (existing !== null && quota >= existing * (1 - p.tightenTolerance)) continue; // hold: no meaningful tightening
    proposals.push({
      target: t,
      type: 'quota.set',
      kind: 'set',
      params: completeParams({ quotaBytesPerSec: quota }),
      severity: share > 0 ? d / share : d + 1,
      streak: streak.over,
      reason:
        `cluster utilization ${fmt(utilization * 100)}% > ${fmt(p.highWatermark * 100)}% for ${streak.over} windows; ` +
        `tenant demand ${fmt(d)} B/s > weighted fair share ${fmt(share)} B/s of ${fmt(budget)} B/s; quota ${fmt(quota)} B/s` +
        (cut > 0 ? ` (the share less ${fmt(cut)} B/s to drain a backlog of ${fmt(cl.backlog)} B)` : '') +
        (existing === null ? '' : ` (was ${fmt(existing)})`),
      evidence: [
        utilEvidence(cl, p.highWatermark, '>'),
        { signal: `${p.metrics.demand}:ratePerSec`, value: d, threshold: share, comparison: '>' },
        ...(cut > 0 ? [backlogEvidence(cl)] : []),
      ],
      ...cl.win,
    });
    if (cut > 0) restore[t] = Math.max(p.minQuotaBytesPerSec, floorBytes(share));
    else delete restore[t];
  }
  return proposals;
}

/** Below the low watermark: raise each quota held past minHoldMs by one step, or revert it near the target. */
function releaseQuotas(
  p: Params,
  targetUtilization: number,
  cl: ClusterWindow,
  leases: readonly LeaseView[],
  eventTime: number,
): Proposal[] {
  const { streak, utilization } = cl;
  const proposals: Proposal[] = [];
  const step = cl.capacity * p.relaxStepFraction;
  // A quota of capacity × targetUtilization cannot be what keeps the cluster in the band: release it.
  const releaseAt = cl.capacity * targetUtilization;
  for (const lease of leases) {
    if (eventTime - lease.setAt < p.minHoldMs) continue;
    const quota = lease.params.quotaBytesPerSec ?? 0;
    const raised = floorBytes(quota + step);
    const why = `cluster utilization ${fmt(utilization * 100)}% < ${fmt(p.lowWatermark * 100)}% for ${streak.calm} windows`;
    if (raised >= releaseAt) {
      proposals.push({
        target: lease.target,
        type: 'quota.revert',
        kind: 'revert',
        params: emptyParams(),
        severity: 0,
        streak: streak.calm,
        reason: `${why}; quota ${fmt(quota)} B/s would reach ${fmt(releaseAt)} B/s: revert`,
        evidence: [utilEvidence(cl, p.lowWatermark, '<')],
        ...cl.win,
      });
    } else {
      proposals.push({
        target: lease.target,
        type: 'quota.set',
        kind: 'relax',
        params: completeParams({ quotaBytesPerSec: raised }),
        severity: 0,
        streak: streak.calm,
        reason: `${why}; quota ${fmt(quota)} → ${fmt(raised)} B/s (+${fmt(step)}, additive release)`,
        evidence: [utilEvidence(cl, p.lowWatermark, '<')],
        ...cl.win,
      });
    }
  }
  return proposals;
}

export function createWatermarkQuota(config: WatermarkQuotaConfig, version: string): Policy<WatermarkQuotaState> {
  const p = config.parameters;
  const target = p.targetUtilization ?? (p.lowWatermark + p.highWatermark) / 2;

  function readCapacity(signals: readonly WindowSignal[]): number | null {
    if (p.capacityBytesPerSec !== null) return p.capacityBytesPerSec;
    const all = signals.filter((s) => !s.partial && s.metric === p.metrics.capacity && s.count > 0);
    if (all.length === 0) return null;
    const scoped = all.filter((s) => s.scope !== 'series');
    const use = scoped.length > 0 ? scoped : all;
    const values = use.map((s) => s[p.capacityStat]).filter((v) => Number.isFinite(v));
    if (values.length === 0) return null;
    return p.capacityCombine === 'sum' ? values.reduce((a, b) => a + b, 0) : Math.max(...values);
  }

  return {
    name: config.name,
    version,
    init: () => ({ streak: null, capacity: null }),
    evaluate(state, signals, eventTime, view) {
      const groups = groupByTarget(signals, config.select, (s) =>
        s.metric === p.metrics.demand && s.scope === p.demandScope ? (s.tags[p.tenantTag] ?? null) : null,
      );
      const capacitySignals = signals.filter((s) => !s.partial && s.metric === p.metrics.capacity);
      const relevant = [...[...groups.values()].flat(), ...capacitySignals];
      const capacity = readCapacity(signals) ?? state.capacity;
      if (relevant.length === 0 || capacity === null || capacity <= 0) {
        // No evidence this window: propose nothing and renew nothing (quotas lapse: fail open).
        return { state: { ...state, capacity }, proposals: [], observed: [] };
      }
      const win = windowOf(relevant);
      const demand = new Map<string, number>();
      for (const [tenant, sigs] of groups)
        demand.set(tenant, Math.max(0, total(sigs, p.metrics.demand, 'ratePerSec') ?? 0));
      const leases = view.leases().filter((l) => l.family === 'quota');
      const tenants = [...new Set([...demand.keys(), ...leases.map((l) => l.target)])].sort();
      const used = [...demand.values()].reduce((a, b) => a + b, 0);
      const utilization = used / capacity;
      const over = utilization > p.highWatermark;
      const under = utilization < p.lowWatermark;
      const streak = nextStreak(state.streak ?? undefined, win.windowStart, win.windowEnd, over, under);
      if (state.streak !== null && streak === state.streak) return { state, proposals: [], observed: [] };
      const backlog = nextBacklog(state.backlog ?? 0, used, capacity, win);
      const restore = keepRestores(state.restore, leases);
      const proposals: Proposal[] = [];
      const cl: ClusterWindow = { capacity, utilization, streak, win, backlog };
      if (over && streak.over >= p.overWindows)
        proposals.push(...tightenQuotas(p, target, cl, tenants, demand, view, restore));
      else if (backlog <= 0 && Object.keys(restore).length > 0) proposals.push(...restoreQuotas(cl, leases, restore));
      else if (under && streak.calm >= p.underWindows) {
        proposals.push(...releaseQuotas(p, target, cl, leases, eventTime));
        for (const t of proposals.map((x) => x.target)) delete restore[t];
      }
      const next: WatermarkQuotaState = {
        streak,
        capacity,
        ...(backlog > 0 ? { backlog } : {}),
        ...(Object.keys(restore).length > 0 ? { restore } : {}),
      };
      return { state: next, proposals, observed: tenants };
    },
  };
}
