/**
 * From the loop's record (commands, decisions, executor timeline) to what every scenario
 * result carries: markers, lease spans, decision counts and the common figures.
 */
import type { CommandFamily, CommandParams } from '../model/command';
import type { DecisionKind } from '../model/decision';
import type { Marker, Span } from '../report';
import type { ExecutorEvent } from './executor';
import type { LoopRecord } from './loop';
import { HomeostatError } from '../errors';
import { countFlaps } from './stats';
import type { Figure, LoopSummary, ScenarioResult } from './types';

/** Human text for the parameters of a command in force. */
export function describeParams(family: CommandFamily, p: CommandParams | null): string {
  if (p === null) return 'default';
  switch (family) {
    case 'query_timeout':
      return `timeout ${p.timeoutMs ?? '?'} ms`;
    case 'quota':
      return `quota ${p.quotaBytesPerSec === null ? '?' : (p.quotaBytesPerSec / 1e6).toFixed(1)} MB/s`;
    case 'retry_policy': {
      const budget =
        p.retryBudgetRatio === null ? 'the clients’ own' : `${Math.round(p.retryBudgetRatio * 1000) / 10}%`;
      return (
        `level ${p.extra.level ?? '?'}: ${p.retryStrategy ?? '?'} jitter, base ${p.retryBaseMs ?? '?'} ms, cap ` +
        `${p.retryCapMs ?? '?'} ms, ${p.retryMaxAttempts ?? '?'} attempts, budget ${budget}`
      );
    }
  }
}

const MARKER_OF: Partial<Record<ExecutorEvent['kind'], string>> = {
  set: 'set',
  tighten: 'set',
  relax: 'relax',
  revert: 'revert',
  lapse: 'expired',
  expired: 'expired',
};

/** Commands as markers (renewals are left to the lease spans), plus blocked and escalated decisions. */
export function markersOf(loop: LoopRecord): Marker[] {
  const markers: Marker[] = [];
  for (const e of loop.executor.events()) {
    if (e.kind === 'shadow') {
      if (e.would === undefined || e.would === 'renew' || e.would === 'expired') continue;
      markers.push({ x: e.t, kind: 'shadow', label: `${e.target}: would ${e.would} (shadow)`, detail: e.reason });
      continue;
    }
    const kind = MARKER_OF[e.kind];
    if (kind === undefined) continue;
    const what =
      e.kind === 'lapse'
        ? 'lease lapsed, executor reverted'
        : e.kind === 'revert'
          ? 'revert'
          : `${e.kind}: ${describeParams(e.family, e.params)}`;
    markers.push({
      x: e.t,
      kind,
      label: `${e.target}: ${what}`,
      detail: `${e.reason}${e.commandId !== null ? `\ncommand ${e.commandId}` : ''}`,
    });
  }
  for (const d of loop.decisions()) {
    if (d.kind !== 'blocked' && d.kind !== 'escalated') continue;
    markers.push({
      x: d.eventTime,
      kind: d.kind,
      label: `${d.target}: ${d.actionType ?? 'action'} ${d.kind} by ${d.guardrail ?? '?'}`,
      detail: d.reason,
    });
  }
  return markers.sort((a, b) => a.x - b.x);
}

/** One span per intervention: from its `set` to its revert or lapse (or the end of the run). */
export function leaseSpans(events: readonly ExecutorEvent[], endMs: number): Span[] {
  const open = new Map<string, { start: number; target: string; family: CommandFamily }>();
  const spans: Span[] = [];
  for (const e of events) {
    const key = `${e.family}\u001f${e.target}`;
    if (e.kind === 'set') open.set(key, { start: e.t, target: e.target, family: e.family });
    else if (e.kind === 'revert' || e.kind === 'lapse') {
      const o = open.get(key);
      if (o === undefined) continue;
      spans.push({ start: o.start, end: e.t, label: `${o.target} ${o.family}`, kind: 'lease' });
      open.delete(key);
    }
  }
  for (const o of open.values())
    spans.push({ start: o.start, end: endMs, label: `${o.target} ${o.family}`, kind: 'lease' });
  return spans.sort((a, b) => a.start - b.start || (a.label < b.label ? -1 : 1));
}

export function decisionCounts(loop: LoopRecord): Partial<Record<DecisionKind, number>> {
  const out: Partial<Record<DecisionKind, number>> = {};
  for (const d of loop.decisions()) out[d.kind] = (out[d.kind] ?? 0) + 1;
  return out;
}

export function loopSummary(loop: LoopRecord): LoopSummary {
  return { ...loop.counters(), finals: loop.finals().length };
}

/** Figures every scenario reports about the loop itself. */
export function loopFigures(loop: LoopRecord, flapSpanMs: number): Figure[] {
  const events = loop.executor.events();
  const enforced = loop.commands().filter((c) => c.mode !== 'shadow');
  const count = (k: ExecutorEvent['kind']) => events.filter((e) => e.kind === k).length;
  const blocked = loop.decisions().filter((d) => d.kind === 'blocked' || d.kind === 'escalated').length;
  return [
    {
      key: 'commands',
      label: 'commands issued (enforced, renewals included)',
      value: enforced.length,
      unit: '',
      better: 'neutral',
    },
    {
      key: 'interventions',
      label: 'interventions started (set from nothing)',
      value: count('set'),
      unit: '',
      better: 'neutral',
    },
    {
      key: 'shadowCommands',
      label: 'shadow commands (decided, not applied)',
      value: loop.commands().length - enforced.length,
      unit: '',
      better: 'neutral',
    },
    { key: 'blocked', label: 'actions blocked by guardrails', value: blocked, unit: '', better: 'neutral' },
    { key: 'lapses', label: 'leases lapsed un-renewed', value: count('lapse'), unit: '', better: 'lower' },
    {
      key: 'flaps',
      label: 'flaps (set → revert → set)',
      value: countFlaps(events, flapSpanMs),
      unit: '',
      better: 'lower',
      note:
        `flap: an intervention started on a target within ${flapSpanMs / 1000} s of the previous start on it, after that one was ` +
        `reverted or lapsed`,
    },
  ];
}

/** The value of figure `key`; throws when the result has no such figure (a typo in a test or report). */
export function figure(result: { figures: readonly Figure[] }, key: string): number | null {
  const f = result.figures.find((x) => x.key === key);
  if (f === undefined)
    throw new HomeostatError('USAGE', `no figure '${key}' (have: ${result.figures.map((x) => x.key).join(', ')})`);
  return f.value;
}

/** What every scenario result reports about the loop itself: markers, leases, commands, decisions, executor timeline. */
export function loopRecord(
  loop: LoopRecord,
  endMs: number,
): Pick<ScenarioResult, 'markers' | 'leases' | 'commands' | 'decisions' | 'executor' | 'loop'> {
  return {
    markers: markersOf(loop),
    leases: leaseSpans(loop.executor.events(), endMs),
    commands: [...loop.commands()],
    decisions: decisionCounts(loop),
    executor: [...loop.executor.events()],
    loop: loopSummary(loop),
  };
}
