/**
 * Interventions in force over time, rebuilt from a command stream for the report: a lease runs
 * from the `.set` that starts it (issuedAt) until a `.revert` (its issuedAt) or until it lapses
 * un-renewed (expiresAt); sets and renewals in between extend it. Pure; commands must be in
 * issue order (as a replay writes them), grouped per (policy, target, family).
 */
import type { CommandRecord } from '../codec';
import { formatNumber } from '../report';

export interface LeaseSpan {
  policy: string;
  target: string;
  /** Command family: `query_timeout`, `retry_policy`, `quota`. */
  family: string;
  start: number;
  end: number;
  /** How it ended: reverted, lapsed, or still open at the end of the stream (end = last expiry). */
  ended: 'revert' | 'lapse' | 'open';
  /** Parameters of the latest set within the span. */
  label: string;
}

/** A numeric parameter over time: the intervention's main setting, NaN while none is in force. */
export interface SettingStep {
  time: number;
  value: number;
}

function familyOf(type: string): string {
  const dot = type.lastIndexOf('.');
  return dot < 0 ? type : type.slice(0, dot);
}

/** One line for a command's parameters, e.g. `timeout 5,000 ms`, `retry level 2 (base 400 ms, cap 80,000 ms)`, `quota 1.2 MB/s`. */
export function describeParams(type: string, p: CommandRecord['params']): string {
  if (type.endsWith('.revert')) return `${type}`;
  const parts: string[] = [];
  if (p.timeoutMs !== null) parts.push(`timeout ${formatNumber(p.timeoutMs)} ms`);
  if (p.retryBaseMs !== null || p.retryCapMs !== null) {
    const level = p.extra.level !== undefined ? `level ${p.extra.level} ` : '';
    parts.push(
      `retry ${level}(${p.retryStrategy ?? 'full'} jitter, ` +
        `base ${formatNumber(p.retryBaseMs ?? 0)} ms, cap ${formatNumber(p.retryCapMs ?? 0)} ms` +
        (p.retryMaxAttempts === null ? '' : `, ${p.retryMaxAttempts} attempts`) +
        (p.retryBudgetRatio === null ? '' : `, budget ${formatNumber(p.retryBudgetRatio * 100)}%`) +
        ')',
    );
  }
  if (p.quotaBytesPerSec !== null) parts.push(`quota ${formatNumber(p.quotaBytesPerSec)}/s`);
  if (p.quotaRequestsPerSec !== null) parts.push(`quota ${formatNumber(p.quotaRequestsPerSec)} req/s`);
  return parts.length > 0 ? parts.join(', ') : type;
}

/** The main setting of a set command, for a step series: timeout ms, retry level (else base ms), quota. */
export function mainSetting(p: CommandRecord['params']): number | null {
  if (p.timeoutMs !== null) return p.timeoutMs;
  if (p.extra.level !== undefined && Number.isFinite(Number(p.extra.level))) return Number(p.extra.level);
  if (p.retryBaseMs !== null) return p.retryBaseMs;
  if (p.quotaBytesPerSec !== null) return p.quotaBytesPerSec;
  if (p.quotaRequestsPerSec !== null) return p.quotaRequestsPerSec;
  return null;
}

interface Open {
  span: LeaseSpan;
  expiresAt: number;
}

/**
 * Lease spans of every (policy, target, family), ordered by start, then policy, target. A lease
 * still held after the last command is a lapse if it expired by `endTime` (default: the last
 * command's issue time — the stream went on without renewing it), else open.
 */
export function leaseSpans(commands: readonly CommandRecord[], endTime?: number): LeaseSpan[] {
  const open = new Map<string, Open>();
  const out: LeaseSpan[] = [];
  const close = (key: string, o: Open, end: number, ended: LeaseSpan['ended']): void => {
    o.span.end = end;
    o.span.ended = ended;
    out.push(o.span);
    open.delete(key);
  };
  for (const c of commands) {
    const family = familyOf(c.type);
    const key = `${c.policy}\u0000${c.target}\u0000${family}`;
    const o = open.get(key);
    if (o !== undefined && c.issuedAt >= o.expiresAt) close(key, o, o.expiresAt, 'lapse');
    const cur = open.get(key);
    if (c.type.endsWith('.revert')) {
      if (cur !== undefined) close(key, cur, c.issuedAt, 'revert');
      continue;
    }
    if (cur === undefined) {
      open.set(key, {
        span: {
          policy: c.policy,
          target: c.target,
          family,
          start: c.issuedAt,
          end: c.expiresAt,
          ended: 'open',
          label: describeParams(c.type, c.params),
        },
        expiresAt: c.expiresAt,
      });
    } else {
      cur.expiresAt = Math.max(cur.expiresAt, c.expiresAt);
      cur.span.end = cur.expiresAt;
      cur.span.label = describeParams(c.type, c.params);
    }
  }
  const end = endTime ?? commands.reduce((m, c) => Math.max(m, c.issuedAt), -Infinity);
  for (const [key, o] of [...open]) close(key, o, o.expiresAt, o.expiresAt <= end ? 'lapse' : 'open');
  return out.sort(
    (a, b) =>
      a.start - b.start ||
      (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : 0) ||
      (a.target < b.target ? -1 : a.target > b.target ? 1 : 0),
  );
}

/**
 * The main setting of one (policy, target) over time as step points: the value from each set,
 * NaN from a revert or a lapse (a gap: nothing in force, the executor's default applies).
 */
export function settingSteps(commands: readonly CommandRecord[], policy: string, target: string): SettingStep[] {
  const steps: SettingStep[] = [];
  let expiresAt = -Infinity;
  let inForce = false;
  for (const c of commands) {
    if (c.policy !== policy || c.target !== target) continue;
    if (inForce && c.issuedAt >= expiresAt) {
      steps.push({ time: expiresAt, value: NaN });
      inForce = false;
    }
    if (c.type.endsWith('.revert')) {
      if (inForce) steps.push({ time: c.issuedAt, value: NaN });
      inForce = false;
      continue;
    }
    const v = mainSetting(c.params);
    if (v === null) continue;
    steps.push({ time: c.issuedAt, value: v });
    expiresAt = c.expiresAt;
    inForce = true;
  }
  if (inForce) steps.push({ time: expiresAt, value: NaN });
  return steps;
}
