/**
 * `adaptive-timeout`: per worker (the signal's source). When a worker is overloaded —
 * queue depth, inflight or tail latency above its high watermark for N consecutive
 * windows — cut its query timeout multiplicatively so long queries are shed and the
 * worker drains; keep cutting while the overload lasts (the cooldown guardrail spaces the
 * cuts); once every signal is under its low watermark for M windows, raise the timeout
 * additively, and revert when it is back at the default. This is AIMD, the control law
 * Chiu & Jain proved converges to efficiency and fairness ("Analysis of the Increase and
 * Decrease Algorithms for Congestion Avoidance in Computer Networks", 1989,
 * https://doi.org/10.1016/0169-7552(89)90019-6) and that TCP congestion control uses
 * (Jacobson, "Congestion Avoidance and Control", SIGCOMM 1988; RFC 5681).
 *
 * The timeout in force is read from the policy's leases, never remembered: a cut that a
 * guardrail blocked, or a lease that lapsed, leaves the worker at what it really has.
 *
 * The reference — the timeout the worker has on its own, which a cut starts from and a
 * recovery restores — is the one it reports (`metrics.timeout`, learned from windows
 * without a lease), else `defaultTimeoutMs`, else (opt-in, `'derive'`) a guess from its
 * healthy latency. Without one the policy holds: a cut from a guessed reference could set
 * a timeout above the one in force, the opposite of shedding. A cut never goes above the
 * reference, and the additive increase restores towards it, never beyond.
 */
import type { Evidence } from '../model/command';
import type { WindowSignal } from '../model/signal';
import { completeParams, emptyParams } from '../actions/params';
import type { AdaptiveTimeoutConfig } from './adaptive-timeout.config';
import { groupByTarget } from './select';
import { forgetIdle, perTargetPaths, type TargetStepFn, type WorkingTable } from './target-table';
import { worst, fmt } from './signals';
import { ewmaStep, nextStreak, windowOf, type Streak } from './streak';
import type { Policy, Proposal } from './types';
import { isCalm, isOver, relativeReadings, type Reading, type TriggerMemory } from './relative-readings';

interface TargetState extends TriggerMemory {
  streak: Streak;
  /** EWMA of the derive quantile over healthy windows, ms; null until the first one. */
  learned: number | null;
  learnedWindows: number;
  /** The timeout the worker reported while no lease of ours was in force, ms; null until one. */
  reported: number | null;
  /** Its queue depth (gaugeStat) in the last window counted; null when it reports none. */
  queue?: number | null;
}

export interface AdaptiveTimeoutState {
  targets: Readonly<Record<string, TargetState>>;
}

type Params = AdaptiveTimeoutConfig['parameters'];
type Win = { windowStart: number; windowEnd: number };

/** A timeout within [minTimeoutMs, maxTimeoutMs], whole ms. */
function clampMs(p: Params, ms: number): number {
  return Math.round(Math.min(p.maxTimeoutMs, Math.max(p.minTimeoutMs, ms)));
}

/** The timeout to cut from and restore to (see the header); null when nothing says what the worker has. */
function referenceTimeout(p: Params, t: TargetState): number | null {
  if (t.reported !== null) return clampMs(p, t.reported);
  if (typeof p.defaultTimeoutMs === 'number') return Math.round(p.defaultTimeoutMs);
  if (p.defaultTimeoutMs === 'derive' && t.learned !== null && t.learnedWindows >= p.derive.minWindows)
    return clampMs(p, t.learned * p.derive.headroom);
  return null;
}

/** Multiplicative decrease from the timeout in force (never from above the reference); null at the floor. */
function cutProposal(
  p: Params,
  target: string,
  t: TargetState,
  rs: Reading[],
  current: number | null,
  def: number,
  win: Win,
): Proposal | null {
  // Never from above the reference: a cut lowers the timeout the worker has, or does nothing.
  const base = Math.min(current ?? def, def);
  const next = Math.max(Math.round(p.minTimeoutMs), Math.round(base * p.decreaseFactor));
  if (next >= base) return null; // already at the floor: hold (the lease is renewed)
  const over = rs.filter(isOver);
  const evidence: Evidence[] = over.map((r) => ({
    signal: r.signal,
    value: r.value,
    threshold: r.high,
    comparison: '>',
  }));
  const readout = over
    .map((r) => `${r.signal} ${fmt(r.value)} > ${fmt(r.high)}${r.detail === undefined ? '' : ` (${r.detail})`}`)
    .join(', ');
  return {
    target,
    type: 'query_timeout.set',
    kind: 'set',
    params: completeParams({ timeoutMs: next }),
    severity: Math.max(...over.map((r) => (r.high > 0 ? r.value / r.high : r.value + 1))),
    streak: t.streak.over,
    reason:
      `overloaded for ${t.streak.over} windows (${readout}); ` +
      `timeout ${base} → ${next} ms (×${p.decreaseFactor}, multiplicative decrease)`,
    evidence,
    ...win,
  };
}

/** Additive increase of the timeout in force toward the reference, or a revert within one step of it. */
function calmProposal(
  p: Params,
  target: string,
  t: TargetState,
  rs: Reading[],
  current: number,
  def: number,
  win: Win,
): Proposal {
  const evidence: Evidence[] = rs.map((r) => ({
    signal: r.signal,
    value: r.value,
    threshold: r.low,
    comparison: '<',
  }));
  const next = Math.round(current + p.increaseStepMs);
  const calm = `calm for ${t.streak.calm} windows (${rs.map((r) => `${r.signal} ${fmt(r.value)} < ${fmt(r.low)}`).join(', ')})`;
  if (next >= def) {
    return {
      target,
      type: 'query_timeout.revert',
      kind: 'revert',
      params: emptyParams(),
      severity: 0,
      streak: t.streak.calm,
      reason: `${calm}; timeout ${current} ms is back within one step of the default ${def} ms: revert`,
      evidence,
      ...win,
    };
  }
  return {
    target,
    type: 'query_timeout.set',
    kind: 'relax',
    params: completeParams({ timeoutMs: next }),
    severity: 0,
    streak: t.streak.calm,
    reason: `${calm}; timeout ${current} → ${next} ms (+${p.increaseStepMs}, additive increase toward ${def} ms)`,
    evidence,
    ...win,
  };
}

/**
 * The worker's proposal this window: a cut after N overloaded windows — the first one held while
 * the worker's backlog drains by itself — and a relax or revert after M calm ones.
 */
function decide(
  p: Params,
  target: string,
  t: TargetState,
  rs: Reading[],
  current: number | null,
  win: Win,
  draining: boolean,
): Proposal | null {
  const def = referenceTimeout(p, t);
  if (def === null) return null; // no reference: a cut could raise the timeout in force
  if (t.streak.over >= p.overloadWindows)
    return draining && current === null ? null : cutProposal(p, target, t, rs, current, def, win);
  if (t.streak.calm >= p.calmWindows && current !== null) return calmProposal(p, target, t, rs, current, def, win);
  return null;
}

export function createAdaptiveTimeout(
  config: AdaptiveTimeoutConfig,
  version: string,
): Policy<AdaptiveTimeoutState, WorkingTable<TargetState>> {
  const p = config.parameters;
  const name = config.name;

  const triggers = [
    { metric: p.metrics.queueDepth, stat: p.gaugeStat, high: p.high.queueDepth, low: p.low.queueDepth },
    { metric: p.metrics.inflight, stat: p.gaugeStat, high: p.high.inflight, low: p.low.inflight },
    { metric: p.metrics.latency, stat: p.latencyQuantile, high: p.high.latencyMs, low: p.low.latencyMs },
  ];
  const readings = relativeReadings(
    triggers,
    p.baseline,
    p.slo === undefined ? undefined : { ...p.slo, metric: p.metrics.latency },
  );

  const targetOf = (s: WindowSignal): string | null => (s.scope === 'series' && s.source !== '' ? s.source : null);

  const step: TargetStepFn<TargetState> = (table, signals, eventTime, view) => {
    const groups = groupByTarget(signals, config.select, targetOf);
    const proposals: Proposal[] = [];
    const observed: string[] = [];
    let windowMs = 0;
    for (const [target, sigs] of groups) {
      const prev = table.get(target);
      const read = readings.read(sigs, prev);
      const rs = read.readings;
      if (rs.length === 0 && !read.learning) continue;
      const win = windowOf(sigs);
      windowMs = Math.max(windowMs, win.windowEnd - win.windowStart);
      const over = rs.some(isOver);
      // No verdict while every relative threshold is warming up: neither overloaded nor calm.
      const calm = rs.length > 0 && rs.every(isCalm);
      const streak = nextStreak(prev?.streak, win.windowStart, win.windowEnd, over, calm);
      if (prev !== undefined && streak === prev.streak) continue; // an old window: already counted
      observed.push(target);
      const lease = view.lease(target, 'query_timeout');
      // The baseline learns from this window unless the target is being acted on or is over its trigger.
      const memory = read.learn(over || lease !== null);
      let learned = prev?.learned ?? null;
      let learnedWindows = prev?.learnedWindows ?? 0;
      // The worker's own timeout: only while none of ours is in force (under a lease it reports ours).
      const reported =
        lease === null ? (worst(sigs, p.metrics.timeout, 'max') ?? prev?.reported ?? null) : (prev?.reported ?? null);
      if (p.defaultTimeoutMs === 'derive' && !over && lease === null) {
        // Learn only from healthy, unmodified windows: under a cut, latency is truncated by the timeout itself.
        const x = worst(sigs, p.metrics.latency, p.derive.quantile);
        if (x !== null) {
          learned = ewmaStep(learned, x, p.derive.alpha);
          learnedWindows++;
        }
      }
      // Draining: the queue is shorter than in the window just before. A burst's backlog shrinks by itself while its
      // queries still report their wait for a few windows: no reason to start cutting (decide).
      const queue = worst(sigs, p.metrics.queueDepth, p.gaugeStat);
      const last = prev !== undefined && win.windowStart <= prev.streak.lastWindowEnd ? (prev.queue ?? null) : null;
      const draining = p.holdWhileDraining && queue !== null && last !== null && queue < last;
      const t: TargetState = { streak, learned, learnedWindows, reported, queue, ...memory };
      table.put(target, t);
      const proposal = decide(p, target, t, rs, lease?.params.timeoutMs ?? null, win, draining);
      if (proposal) proposals.push(proposal);
    }
    const forget = forgetIdle<TargetState>(view, eventTime, windowMs, p.forgetAfterWindows, 'query_timeout');
    return { forget, proposals, observed };
  };

  return { name, version, perTarget: { targetOf }, ...perTargetPaths(step) };
}
