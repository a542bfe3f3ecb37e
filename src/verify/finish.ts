/**
 * Turning finished verifications into outputs: verdicts, outcome records (exactly the
 * shape of schemas/outcome.avsc), track-record updates, canary estimates and revert
 * proposals. Pure: takes the records and returns new ones.
 */
import type { CanaryEffect, OutcomeRecord } from '../codec/records';
import { canaryEffect, addObservation } from './canary';
import type { Probe, VerifierConfig } from './config';
import { revertProposal } from './revert';
import { capRecords, countOutcome, emptyRecord, recordKey, snapshot } from './track-record';
import { judge, relativeChange, type Judgement } from './verdict';
import type { PendingVerification, ProbeTrack, RevertProposal, TrackRecordState } from './types';

export interface Finished {
  v: PendingVerification;
  /** Event time the verification ended at (the deciding window's end, or the eviction's). */
  at: number;
  /** Dropped for room: always inconclusive, never reverted. */
  evicted: boolean;
}

export interface FinishResult {
  records: Record<string, TrackRecordState>;
  outcomes: OutcomeRecord[];
  reverts: RevertProposal[];
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** `policy \u001f target \u001f family`: one revert per intervention. */
export function interventionKey(v: Pick<PendingVerification, 'policy' | 'target' | 'family'>): string {
  return `${v.policy}\u001f${v.target}\u001f${v.family}`;
}

function probesOf(config: VerifierConfig, v: PendingVerification): readonly Probe[] {
  return config.families[v.family].probes;
}

/**
 * The key signal compared between groups: the verdict's signal if it is per target, else
 * the first per-target one with data. A cluster-wide signal moves the same for treated and
 * control targets, so it cannot tell them apart.
 */
function canaryTrack(config: VerifierConfig, v: PendingVerification, j: Judgement): ProbeTrack | null {
  const perTarget = (t: ProbeTrack) => probesOf(config, v).find((p) => p.signal === t.signal)?.match !== 'global';
  if (j.primary !== null && perTarget(j.primary)) return j.primary;
  return v.probes.find((t) => t.before !== null && t.after !== null && perTarget(t)) ?? null;
}

function judged(f: Finished, x: number): Judgement {
  const j = judge(f.v, x);
  if (!f.evicted) return j;
  return {
    ...j,
    verdict: 'inconclusive',
    primary: null,
    change: null,
    timeToRecoveryMs: null,
    reason:
      'inconclusive: dropped before the end of its verification window (more than maxPending verifications in flight)',
  };
}

export function finish(
  records: Record<string, TrackRecordState>,
  list: readonly Finished[],
  config: VerifierConfig,
  observedWindowMs: number | null,
): FinishResult {
  const x = config.threshold;
  const out: Record<string, TrackRecordState> = { ...records };
  const recordFor = (v: PendingVerification, at: number) =>
    out[recordKey(v.policy, v.policyVersion)] ?? emptyRecord(v.policy, v.policyVersion, at);
  const items = [...list]
    .sort(
      (a, b) =>
        cmp(a.v.policy, b.v.policy) ||
        cmp(a.v.target, b.v.target) ||
        cmp(a.v.type, b.v.type) ||
        cmp(a.v.commandId, b.v.commandId),
    )
    .map((f) => ({ f, j: judged(f, x) }));

  // 1. Canary observations first, so that treated and control decided together see each other.
  const canarySignal = new Map<Finished, string>();
  for (const { f, j } of items) {
    const { v } = f;
    if (j.verdict === 'inconclusive' || !(v.role === 'control' || v.mode === 'canary')) continue;
    const t = canaryTrack(config, v, j);
    if (t === null || t.before === null || t.after === null) continue;
    canarySignal.set(f, t.signal);
    const obs = { target: v.target, signal: t.signal, issuedAt: v.issuedAt, change: relativeChange(t.before, t.after) };
    const r = recordFor(v, f.at);
    out[recordKey(v.policy, v.policyVersion)] = {
      ...addObservation(r, v.role, obs, config.canary.maxObservations),
      updatedAt: Math.max(r.updatedAt, f.at),
    };
  }

  // 2. Track records, reverts and outcomes, in output order (each snapshot counts its own outcome).
  const outcomes: OutcomeRecord[] = [];
  const reverts: RevertProposal[] = [];
  const revertedNow = new Set<string>();
  for (const { f, j } of items) {
    const { v } = f;
    const key = recordKey(v.policy, v.policyVersion);
    let proposal: RevertProposal | null = null;
    if (
      v.role === 'treated' &&
      j.verdict === 'worsened' &&
      v.revertedAt === null &&
      !revertedNow.has(interventionKey(v))
    ) {
      proposal = revertProposal(v, j, f.at, v.windowMs > 0 ? v.windowMs : (observedWindowMs ?? 0), x);
      revertedNow.add(interventionKey(v));
      reverts.push(proposal);
    }
    let record = recordFor(v, f.at);
    if (v.role === 'treated') {
      record = countOutcome(record, j.verdict, j.timeToRecoveryMs, proposal !== null, f.at, config.recoveryReservoir);
      out[key] = record;
    }
    if (v.role === 'control' && !config.controlOutcomes) continue;
    const signal = canarySignal.get(f);
    const matchMs = (config.canary.matchWindows ?? config.windows) * v.windowMs;
    const effect: CanaryEffect | null =
      v.role === 'treated' && v.mode === 'canary' && signal !== undefined
        ? canaryEffect(record, signal, v.issuedAt, matchMs)
        : null;
    const notes = [
      v.revertedAt !== null ? `; the intervention was reverted at ${v.revertedAt}` : '',
      proposal !== null ? '; revert proposed' : '',
    ].join('');
    outcomes.push({
      commandId: v.commandId,
      policy: v.policy,
      policyVersion: v.policyVersion,
      target: v.target,
      type: v.type,
      mode: v.mode,
      verdict: j.verdict,
      signals: j.signals,
      verificationStart: v.issuedAt,
      verificationEnd: Math.max(v.issuedAt, Math.min(v.endAt, f.at)),
      timeToRecoveryMs: j.timeToRecoveryMs,
      trackRecord: snapshot(record),
      canaryEffect: effect,
      reason: `${v.role === 'control' ? '[control group: not enforced] ' : ''}${j.reason}${notes}`,
      eventTime: f.at,
    });
  }
  reverts.sort((a, b) => cmp(a.policy, b.policy) || cmp(a.target, b.target) || cmp(a.type, b.type));
  return { records: capRecords(out, config.maxTrackRecords), outcomes, reverts };
}
