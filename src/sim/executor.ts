/**
 * An in-process model of the executors: it applies what an executor would apply, with the
 * same lease discipline (DESIGN.md, "Commands are leases"):
 * - only `canary` and `enforce` commands act; a `shadow` command is recorded, never applied;
 * - a command whose lease has already expired when it arrives is ignored (a late or
 *   replayed `set` must not override what is in force now — src/client/command.ts does the same);
 * - a `set` with the same id as one already handled is a duplicate (ids are deterministic);
 * - a lease that reaches `expiresAt` without a renewal is reverted by the executor itself,
 *   whether or not homeostat is still running (Gray & Cheriton, "Leases", SOSP 1989).
 *
 * What "apply" means is the scenario's business (an `Actuator`); this file only keeps the
 * lease table and the timeline of what happened, from which the report draws markers and
 * lease spans and the figures count flaps.
 */
import { familyOf, isRevertType } from '../actions/params';
import type { Command, CommandFamily, CommandParams } from '../model/command';

/**
 * - `set`: a new intervention (no lease was in force); `tighten`/`relax`: parameters
 *   changed in force; `renew`: same parameters, later expiry; `revert`: a revert command;
 * - `lapse`: the lease expired un-renewed and the executor reverted by itself;
 * - `expired`: a command that arrived after its own expiry (ignored); `shadow`: not enforced;
 * - `duplicate`: an id already handled (ignored).
 */
export type ExecutorEventKind =
  'set' | 'tighten' | 'relax' | 'renew' | 'revert' | 'lapse' | 'expired' | 'shadow' | 'duplicate';

export interface ExecutorEvent {
  /** Simulated time the executor handled it, epoch ms. */
  t: number;
  kind: ExecutorEventKind;
  target: string;
  family: CommandFamily;
  /** Null for a lapse. */
  commandId: string | null;
  policy: string;
  /** Parameters in force after the event (null when nothing is). */
  params: CommandParams | null;
  /** Lease expiry in force after the event (null when nothing is). */
  expiresAt: number | null;
  reason: string;
  /** For `shadow`: what an executor would have done had the command been enforced. */
  would?: ExecutorEventKind;
}

/** What applying a command does to the simulated system. */
export interface Actuator {
  apply(target: string, family: CommandFamily, params: CommandParams, expiresAt: number, now: number): void;
  /** Back to the system's own default (a revert command or a lapse). */
  revert(target: string, family: CommandFamily, now: number): void;
}

export interface ExecutorModel {
  /** Lapses due leases, then handles the command at `now`. */
  handle(cmd: Command, now: number): ExecutorEvent;
  /** Reverts every lease whose expiry is at or before `now`. */
  tick(now: number): void;
  /** Parameters in force for (target, family), null when none. */
  inForce(target: string, family: CommandFamily): CommandParams | null;
  events(): readonly ExecutorEvent[];
}

interface Held {
  policy: string;
  params: CommandParams;
  expiresAt: number;
  commandId: string;
}

/**
 * True when `next` intervenes harder than `prev`: a shorter timeout, a smaller quota, a
 * higher herd-control level (its `extra.level`, else a longer base backoff).
 */
export function isTighter(family: CommandFamily, prev: CommandParams, next: CommandParams): boolean {
  switch (family) {
    case 'query_timeout':
      return (next.timeoutMs ?? Infinity) < (prev.timeoutMs ?? Infinity);
    case 'quota':
      return (
        (next.quotaBytesPerSec ?? Infinity) < (prev.quotaBytesPerSec ?? Infinity) ||
        (next.quotaRequestsPerSec ?? Infinity) < (prev.quotaRequestsPerSec ?? Infinity)
      );
    case 'retry_policy': {
      const a = Number(prev.extra.level ?? NaN);
      const b = Number(next.extra.level ?? NaN);
      if (Number.isFinite(a) && Number.isFinite(b)) return b > a;
      return (next.retryBaseMs ?? 0) > (prev.retryBaseMs ?? 0);
    }
  }
}

function sameParams(a: CommandParams, b: CommandParams): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What a `.set` with parameters `next` does to what is in force (`prev`; undefined: nothing). */
export function classifySet(
  family: CommandFamily,
  prev: CommandParams | undefined,
  next: CommandParams,
): ExecutorEventKind {
  if (prev === undefined) return 'set';
  if (sameParams(prev, next)) return 'renew';
  return isTighter(family, prev, next) ? 'tighten' : 'relax';
}

export function createExecutorModel(actuator: Actuator): ExecutorModel {
  const held = new Map<string, Held>();
  // What shadow commands would have put in force: classifies them (set, renew, …) without acting.
  const virtual = new Map<string, Held>();
  const seen = new Set<string>();
  const log: ExecutorEvent[] = [];
  const keyOf = (target: string, family: CommandFamily): string => `${family}\u001f${target}`;

  function tick(now: number): void {
    for (const [key, h] of [...virtual.entries()]) if (h.expiresAt <= now) virtual.delete(key);
    // Key order, so that simultaneous lapses are reverted in a fixed order.
    for (const key of [...held.keys()].sort()) {
      const h = held.get(key) as Held;
      if (h.expiresAt > now) continue;
      const [family, target] = key.split('\u001f') as [CommandFamily, string];
      held.delete(key);
      actuator.revert(target, family, h.expiresAt);
      log.push({
        t: h.expiresAt,
        kind: 'lapse',
        target,
        family,
        commandId: null,
        policy: h.policy,
        params: null,
        expiresAt: null,
        reason: `lease ${h.commandId} lapsed without renewal`,
      });
    }
  }

  function handle(cmd: Command, now: number): ExecutorEvent {
    tick(now);
    const family = familyOf(cmd.type);
    const key = keyOf(cmd.target, family);
    const prev = held.get(key);
    const base = { t: now, target: cmd.target, family, commandId: cmd.id, policy: cmd.policy, reason: cmd.reason };
    const current = { params: prev?.params ?? null, expiresAt: prev?.expiresAt ?? null };
    let event: ExecutorEvent;
    if (seen.has(cmd.id)) event = { ...base, ...current, kind: 'duplicate' };
    else if (cmd.mode === 'shadow')
      event = { ...base, ...current, kind: 'shadow', would: shadowKind(key, cmd, family, now) };
    else if (isRevertType(cmd.type)) {
      held.delete(key);
      if (prev !== undefined) actuator.revert(cmd.target, family, now);
      event = { ...base, params: null, expiresAt: null, kind: 'revert' };
    } else if (cmd.expiresAt <= now) event = { ...base, ...current, kind: 'expired' };
    else {
      const kind = classifySet(family, prev?.params, cmd.params);
      held.set(key, { policy: cmd.policy, params: cmd.params, expiresAt: cmd.expiresAt, commandId: cmd.id });
      actuator.apply(cmd.target, family, cmd.params, cmd.expiresAt, now);
      event = { ...base, params: cmd.params, expiresAt: cmd.expiresAt, kind };
    }
    seen.add(cmd.id);
    log.push(event);
    return event;
  }

  function shadowKind(key: string, cmd: Command, family: CommandFamily, now: number): ExecutorEventKind {
    const prev = virtual.get(key);
    if (isRevertType(cmd.type)) {
      virtual.delete(key);
      return 'revert';
    }
    if (cmd.expiresAt <= now) return 'expired';
    virtual.set(key, { policy: cmd.policy, params: cmd.params, expiresAt: cmd.expiresAt, commandId: cmd.id });
    return classifySet(family, prev?.params, cmd.params);
  }

  return {
    handle,
    tick,
    inForce: (target, family) => held.get(keyOf(target, family))?.params ?? null,
    events: () => log,
  };
}
