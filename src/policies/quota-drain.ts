/**
 * watermark-quota's backlog: what a burst past capacity leaves queued at the brokers, and how
 * the tenants over their share pay it back.
 *
 * The estimate treats the cluster as one fluid queue, Lindley's recursion on each window's
 * totals: B' = max(0, B + (Σ ingress − capacity) × window). Ingress is what the brokers
 * accepted — arrivals at their queues — so above capacity the difference is queued work. It is
 * a lower bound (the brokers are separate queues: a request routed to a busy one waits while
 * another idles), the safe side for a cut.
 *
 * Payback: when the policy throttles, the quotas of the tenants over their fair share are
 * lowered, in proportion to their shares, by B ÷ (drainWindows × window) — the rate that
 * empties the queue within `drainWindows` windows with everyone else's traffic unchanged —
 * never below `minQuotaBytesPerSec`; once the estimate is back to 0 their quotas return to the
 * share (a relax, which no guardrail holds back). Without it a quota at the share drains the
 * queue only at the headroom the target utilization leaves (22.5% of capacity by default):
 * seconds of latency for the tenants queued behind the burst. The tenant whose excess built
 * the queue pays for it, as deficit round robin charges a flow for what it sent (Shreedhar &
 * Varghese, "Efficient Fair Queuing using Deficit Round Robin", SIGCOMM 1995).
 *
 * Pure: no clock, no I/O.
 */
import type { Evidence } from '../model/command';
import { completeParams } from '../actions/params';
import { fmt } from './signals';
import type { LeaseView, Proposal } from './types';
import type { ClusterWindow, Params } from './watermark-quota';

const seconds = (win: { windowStart: number; windowEnd: number }) =>
  Math.max(0, win.windowEnd - win.windowStart) / 1000;

/** The backlog after one window of `used` bytes/s against `capacity` bytes/s. */
export function nextBacklog(
  prev: number,
  used: number,
  capacity: number,
  win: { windowStart: number; windowEnd: number },
): number {
  const b = prev + (used - capacity) * seconds(win);
  return Number.isFinite(b) && b > 0 ? b : 0;
}

/** Per tenant over its share: bytes/s taken off its share so the backlog drains within drainWindows windows. */
export function drainCuts(
  p: Params,
  cl: ClusterWindow,
  over: readonly string[],
  shares: Readonly<Record<string, number>>,
): Map<string, number> {
  const out = new Map<string, number>();
  const sec = seconds(cl.win);
  if (p.drainWindows === null || cl.backlog <= 0 || over.length === 0 || sec <= 0) return out;
  const rate = cl.backlog / (p.drainWindows * sec);
  const total = over.reduce((s, t) => s + (shares[t] ?? 0), 0);
  for (const t of over) out.set(t, total > 0 ? (rate * (shares[t] ?? 0)) / total : rate / over.length);
  return out;
}

export function backlogEvidence(cl: ClusterWindow): Evidence {
  return { signal: 'cluster.backlog_bytes', value: cl.backlog, threshold: 0, comparison: '>' };
}

/** The restores still owed: only for tenants under a quota lease (a lapsed or reverted one owes nothing). */
export function keepRestores(
  prev: Readonly<Record<string, number>> | undefined,
  leases: readonly LeaseView[],
): Record<string, number> {
  const held = new Set(leases.map((l) => l.target));
  const out: Record<string, number> = {};
  for (const [t, q] of Object.entries(prev ?? {})) if (held.has(t)) out[t] = q;
  return out;
}

/** The backlog is gone: each quota cut below its share returns to it (`restore` is emptied). */
export function restoreQuotas(
  cl: ClusterWindow,
  leases: readonly LeaseView[],
  restore: Record<string, number>,
): Proposal[] {
  const proposals: Proposal[] = [];
  for (const lease of leases) {
    const share = restore[lease.target];
    if (share === undefined) continue;
    delete restore[lease.target];
    const quota = lease.params.quotaBytesPerSec ?? 0;
    if (quota >= share) continue;
    proposals.push({
      target: lease.target,
      type: 'quota.set',
      kind: 'relax',
      params: completeParams({ quotaBytesPerSec: share }),
      severity: 0,
      streak: cl.streak.calm,
      reason: `backlog drained (estimate 0 B): quota ${fmt(quota)} → ${fmt(share)} B/s, the weighted fair share it was cut from`,
      evidence: [{ signal: 'cluster.backlog_bytes', value: 0, threshold: 0, comparison: '<=' }],
      ...cl.win,
    });
  }
  return proposals;
}
