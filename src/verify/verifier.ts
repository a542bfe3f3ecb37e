/**
 * The verifier: did each action help? A pure state machine driven by the decision stage —
 * `onCommand` for every command it emits, `onWindow` for every closed window's final
 * signals — that follows each enforced tightening for N windows of event time, reaches a
 * verdict, keeps per-policy track records and canary-versus-control estimates, and
 * proposes a revert when an action made things worse. No clock (event time only), no
 * I/O, no randomness; state is plain JSON (docs/verification.md).
 */
import { familyOf } from '../actions/params';
import { InputError } from '../errors';
import { appendAll } from '../pipeline/append';
import type { Command } from '../model/command';
import type { WindowSignal } from '../model/signal';
import { parseVerifierConfig, type VerifierConfig, type VerifierConfigInput } from './config';
import { finish, interventionKey, type Finished } from './finish';
import { commandAction, commandRole, cutAt, endedBy, observe, startVerification } from './pending';
import { createSignalIndex } from './probes';
import type { CommandHints, PendingVerification, VerifierOutput, VerifierState } from './types';

export interface Verifier {
  /** The fully defaulted config in use. */
  readonly config: VerifierConfig;
  init(): VerifierState;
  /**
   * A command the decision stage emitted. Starts a verification for a tightening `.set`
   * that is enforced (mode enforce/canary) or a canary's control group (mode shadow);
   * a `.revert` ends the matching verifications early. Outputs only when the pending
   * cap drops the oldest verification (an inconclusive outcome).
   */
  onCommand(state: VerifierState, cmd: Command, hints?: CommandHints): VerifierOutput;
  /**
   * `onCommand` for each of `cmds` in turn (no hints): the same state and outcomes (in order),
   * without copying the pending list once per command. Reverts proposed by evictions are returned too.
   */
  onCommands(state: VerifierState, cmds: readonly Command[]): VerifierOutput;
  /** The final signals of the window(s) ending at `eventTime` (partials are ignored). */
  onWindow(state: VerifierState, signals: readonly WindowSignal[], eventTime: number): VerifierOutput;
}

const noOutputs = (state: VerifierState): VerifierOutput => ({ state, outcomes: [], reverts: [] });

/**
 * A window's working copy of the pending verifications, oldest first, as a queue. Once the list
 * is at the pending cap every further set drops the oldest: a splice from the front moved all
 * maxPending entries for each command (the split's arbiter verifies some 10 000 sets a window).
 */
class PendingQueue {
  private head = 0;
  /** Takes `items` over (oldest first). */
  constructor(private items: PendingVerification[]) {}
  get length(): number {
    return this.items.length - this.head;
  }
  push(v: PendingVerification): void {
    this.items.push(v);
  }
  /** Removes and returns the `n` oldest. */
  shift(n: number): PendingVerification[] {
    const gone = this.items.slice(this.head, this.head + n);
    this.head += n;
    // The dropped front is reclaimed once it outgrows the live part: amortised O(1) a drop, memory within 2×.
    if (this.head > this.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return gone;
  }
  /** The live entries, oldest first (the queue's own array when nothing was dropped since the last reclaim). */
  toArray(): PendingVerification[] {
    return this.head === 0 ? this.items : this.items.slice(this.head);
  }
}

/** Verifier.onCommands (see there): one pass over a window's commands. */
function foldCommands(config: VerifierConfig, state: VerifierState, cmds: readonly Command[]): VerifierOutput {
  // A working copy of the pending list, made at the first change, and how many hold each command id.
  let pending: PendingQueue | null = null;
  let ids: Map<string, number> | null = null;
  let records = state.records;
  let dropped = state.dropped;
  const outcomes: VerifierOutput['outcomes'] = [];
  const reverts: VerifierOutput['reverts'] = [];
  const count = (id: string, by: number): void => {
    const n = (ids?.get(id) ?? 0) + by;
    if (n > 0) ids?.set(id, n);
    else ids?.delete(id);
  };
  for (const cmd of cmds) {
    const role = commandRole(cmd, {});
    if (role === null) continue;
    const action = commandAction(cmd, {});
    if (action === 'revert') {
      const list: readonly PendingVerification[] = pending?.toArray() ?? state.pending;
      if (list.some((v) => endedBy(v, cmd, role)))
        pending = new PendingQueue(list.map((v) => (endedBy(v, cmd, role) ? cutAt(v, cmd.issuedAt) : v)));
      continue;
    }
    if (ids === null) {
      ids = new Map();
      for (const v of pending?.toArray() ?? state.pending) count(v.commandId, 1);
    }
    if (action !== 'set' || ids.has(cmd.id)) continue;
    pending ??= new PendingQueue([...state.pending]);
    pending.push(startVerification(cmd, role, config, state.windowMs));
    count(cmd.id, 1);
    const excess = pending.length - config.maxPending;
    if (excess <= 0) continue;
    const at = Math.max(cmd.issuedAt, state.lastEventTime ?? cmd.issuedAt);
    const gone = pending.shift(excess);
    for (const v of gone) count(v.commandId, -1);
    const r = finish(
      records,
      gone.map((v) => ({ v, at, evicted: true })),
      config,
      state.windowMs,
    );
    records = r.records;
    dropped += excess;
    appendAll(outcomes, r.outcomes);
    appendAll(reverts, r.reverts);
  }
  if (pending === null) return noOutputs(state);
  return { state: { ...state, pending: pending.toArray(), records, dropped }, outcomes, reverts };
}

export function createVerifier(input: VerifierConfigInput = {}): Verifier {
  const config = parseVerifierConfig(input);

  function init(): VerifierState {
    return { windowMs: null, lastEventTime: null, pending: [], records: {}, dropped: 0 };
  }

  function onCommand(state: VerifierState, cmd: Command, hints: CommandHints = {}): VerifierOutput {
    const role = commandRole(cmd, hints);
    if (role === null) return noOutputs(state);
    const action = commandAction(cmd, hints);
    if (action === 'revert') {
      if (!state.pending.some((v) => endedBy(v, cmd, role))) return noOutputs(state);
      return noOutputs({
        ...state,
        pending: state.pending.map((v) => (endedBy(v, cmd, role) ? cutAt(v, cmd.issuedAt) : v)),
      });
    }
    // Relaxes and renewals continue an intervention that is already being verified.
    if (action !== 'set' || state.pending.some((v) => v.commandId === cmd.id)) return noOutputs(state);

    const pending = [...state.pending, startVerification(cmd, role, config, state.windowMs)];
    const excess = pending.length - config.maxPending;
    if (excess <= 0) return noOutputs({ ...state, pending });
    const at = Math.max(cmd.issuedAt, state.lastEventTime ?? cmd.issuedAt);
    const dropped: Finished[] = pending.slice(0, excess).map((v) => ({ v, at, evicted: true }));
    const r = finish(state.records, dropped, config, state.windowMs);
    return {
      state: { ...state, pending: pending.slice(excess), records: r.records, dropped: state.dropped + excess },
      outcomes: r.outcomes,
      reverts: r.reverts,
    };
  }

  function onWindow(state: VerifierState, signals: readonly WindowSignal[], eventTime: number): VerifierOutput {
    if (!Number.isFinite(eventTime)) {
      throw new InputError(
        'INVALID_FIELD',
        `verifier.onWindow: eventTime must be a finite epoch-ms number, got ${String(eventTime)}`,
        { field: 'eventTime' },
      );
    }
    let windowMs = state.windowMs;
    for (const s of signals) {
      if (!s.partial && s.windowEnd > s.windowStart) {
        windowMs = s.windowEnd - s.windowStart;
        break;
      }
    }
    const lastEventTime = state.lastEventTime === null ? eventTime : Math.max(state.lastEventTime, eventTime);
    if (state.pending.length === 0) return noOutputs({ ...state, windowMs, lastEventTime });

    const index = createSignalIndex(signals, new Set(state.pending.map((v) => v.target)));
    const keep: PendingVerification[] = [];
    const done: Finished[] = [];
    for (const v of state.pending) {
      const next = observe(v, index, eventTime, config.families[v.family].probes, config.threshold);
      if (eventTime >= next.endAt) done.push({ v: next, at: eventTime, evicted: false });
      else keep.push(next);
    }
    if (done.length === 0) return noOutputs({ ...state, windowMs, lastEventTime, pending: keep });

    const r = finish(state.records, done, config, windowMs);
    // A proposed revert ends every other enforced verification of the same intervention:
    // they are judged on what they saw so far and never propose a second revert.
    const reverted = new Set(
      r.reverts.map((p) => interventionKey({ policy: p.policy, target: p.target, family: familyOf(p.type) })),
    );
    const pending =
      reverted.size === 0
        ? keep
        : keep.map((v) =>
            v.role === 'treated' && reverted.has(interventionKey(v)) && v.issuedAt <= eventTime
              ? cutAt(v, eventTime)
              : v,
          );
    return {
      state: { ...state, windowMs, lastEventTime, pending, records: r.records },
      outcomes: r.outcomes,
      reverts: r.reverts,
    };
  }

  return { config, init, onCommand, onCommands: (state, cmds) => foldCommands(config, state, cmds), onWindow };
}
