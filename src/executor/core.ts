/**
 * The executor's core, transport-free: check a command, record the intent, apply or
 * revert it under a timeout, and hand the result, the state changes and the consumed
 * offset to the ledger to be written together. Also the lease-lapse check. The Kafka
 * executor (sdk.ts) feeds it decoded records one at a time; tests feed it directly.
 *
 * At most once: the intent (`applying`) is durable before apply is called, and the
 * outcome (`done`) is written together with the consumer offset. A crash in between
 * leaves an `applying` entry and an uncommitted offset: the command is redelivered,
 * found `applying`, and reported as interrupted — never applied a second time.
 *
 * Calls must not overlap (the SDK serialises them): the ledger's transactions are one at
 * a time, and the lease table is read and written by both paths.
 */
import { familyOf, isRevertType, verifyCommand } from '../actions';
import type { ActionResultRecord, ActionStatus } from '../codec';
import { HomeostatError } from '../errors';
import type { Command, CommandType } from '../model/command';
import { silentLogger, type Logger } from '../ops/logger';
import { createApplyTimer, type ApplyTimer, type TimedOutcome } from './apply-timer';
import { checkCommand, type CheckContext } from './check';
import { createSeenSet, type SeenSet } from './dedup';
import {
  dropLease,
  executorLeaseKey,
  getLease,
  lapsedLeases,
  leaseFor,
  putLease,
  type ExecutorLeaseTable,
} from './lease-table';
import { createOutcomeWriter, type OutcomeWriter } from './outcome-writer';
import { restoreState } from './restore';
import type { ConsumedOffset, ExecutorCoreOptions, ExecutorLease, LedgerCommit, StateEntry, WallClock } from './types';

/** One record from the actions topic: a decoded command, or why it could not be read. */
export type Incoming = { key: string | null; command: Command } | { key: string | null; command: null; error: string };

export interface ExecutorCore {
  /** Rebuild the seen-set and lease table from the ledger's entries (before the first handle). */
  restore(entries: readonly StateEntry[]): void;
  /** Handle one record; null when its type is not this executor's (skipped, nothing written). */
  handle(input: Incoming, offset: ConsumedOffset | null): Promise<ActionResultRecord | null>;
  /** Revert the leases that have lapsed by now; returns the results written. */
  checkLeases(): Promise<ActionResultRecord[]>;
  leases(): ExecutorLease[];
  /** Abandon the apply in flight and refuse to write anything more (a crash, as others see it). */
  kill(): void;
  /** Forget pending offsets of partitions no longer assigned. */
  retainOffsets(keep: (offset: ConsumedOffset) => boolean): void;
  counts(): Readonly<Record<ActionStatus, number>>;
}

const MAX_REVERT_RETRY_MS = 60_000;
/** 15 min: fifty times the default lease (3 windows of 10 s) and short enough that a leaked command cannot hold for long. */
export const DEFAULT_MAX_LEASE_MS = 900_000;

export function createExecutorCore(options: ExecutorCoreOptions): ExecutorCore {
  const run = new ExecutorRun(options);
  return {
    restore: (entries) => run.restore(entries),
    handle: (input, offset) => run.handle(input, offset),
    checkLeases: () => run.checkLeases(),
    leases: () => Object.values(run.leases),
    kill: () => run.kill(),
    retainOffsets: (keep) => run.writer.retainOffsets(keep),
    counts: () => run.writer.counts(),
  };
}

/** What a result record says beyond the command and its status. */
interface ResultFacts {
  status: ActionStatus;
  detail: string;
  startedAt: number;
  finishedAt: number;
  attempt?: number;
  previous?: Record<string, string>;
}

/** The executor's state (seen-set, lease table, revert retries) and the paths that change it. */
class ExecutorRun {
  readonly writer: OutcomeWriter;
  leases: ExecutorLeaseTable = {};
  private readonly name: string;
  private readonly logger: Logger;
  private readonly clock: WallClock;
  private readonly revertRetryMs: number;
  private readonly types: ReadonlySet<CommandType>;
  private readonly audiences: ReadonlySet<string>;
  private readonly maxLeaseMs: number;
  private readonly seen: SeenSet;
  private readonly timer: ApplyTimer;
  private readonly revertRetries = new Map<string, { attempts: number; nextAt: number }>();
  private killed = false;

  constructor(private readonly options: ExecutorCoreOptions) {
    this.name = options.name;
    this.logger = options.logger ?? silentLogger();
    this.clock = options.clock ?? { now: () => Date.now() };
    this.revertRetryMs = options.revertRetryMs ?? 1_000;
    this.types = new Set(options.types);
    this.audiences = new Set(options.audiences ?? options.types.map(familyOf));
    this.maxLeaseMs = options.maxLeaseMs ?? DEFAULT_MAX_LEASE_MS;
    this.seen = createSeenSet(options.dedupGraceMs ?? 3_600_000);
    this.timer = createApplyTimer(options.applyTimeoutMs ?? 10_000, this.logger, options.metrics);
    this.writer = createOutcomeWriter({
      name: this.name,
      ledger: options.ledger,
      logger: this.logger,
      metrics: options.metrics,
      alive: () => this.alive(),
    });
  }

  /** Throws once the executor was killed: a killed executor writes nothing more. */
  alive(): void {
    if (this.killed) throw new HomeostatError('INVALID_STATE', `executor ${this.name} was killed; create a new one`);
  }

  kill(): void {
    this.killed = true;
    this.timer.abort(new HomeostatError('INVALID_STATE', `executor ${this.name} was killed`));
  }

  restore(entries: readonly StateEntry[]): void {
    // Re-verified: entries on the state topic are trusted no more than the actions topic.
    const restored = restoreState(entries, (c) => verifyCommand(c, this.options.keyring).ok);
    if (restored.unverified.length > 0) {
      this.logger.warn(
        { commands: restored.unverified },
        'state entries whose command does not verify: ' +
          'their leases are kept only to be reverted, without restoring unsigned previous settings',
      );
    }
    const now = this.clock.now();
    for (const [id, e] of restored.seen) this.seen.mark(id, e);
    this.seen.prune(now);
    this.leases = restored.leases;
    if (restored.interrupted.length > 0) {
      this.logger.warn(
        { commands: restored.interrupted },
        'commands interrupted mid-apply by a crash: they will not be re-applied',
      );
    }
  }

  async handle(input: Incoming, offset: ConsumedOffset | null): Promise<ActionResultRecord | null> {
    this.alive();
    if (offset !== null) this.writer.track(offset);
    if (input.command === null) {
      const now = this.clock.now();
      const r = this.result(null, input.key ?? '', {
        status: 'rejected',
        detail: `not a readable command: ${input.error}`,
        startedAt: now,
        finishedAt: now,
      });
      await this.writer.commit([r], [], null);
      return r;
    }
    const cmd = input.command;
    if (!this.types.has(cmd.type)) return null;
    const retry = this.writer.uncommitted(cmd.id);
    // Only the genuine command may re-send its pending outcome (a forged copy of its id is checked as usual).
    if (retry !== undefined && verifyCommand(cmd, this.options.keyring).ok) return this.resend(cmd.id, retry);
    const now = this.clock.now();
    const verdict = checkCommand(cmd, this.checkContext(now));
    if (verdict.ok) return this.act(cmd);
    const state: StateEntry[] = [];
    if (verdict.authentic && verdict.status !== 'duplicate') {
      this.seen.mark(cmd.id, { state: 'done', expiresAt: cmd.expiresAt });
      state.push(doneEntry(cmd, verdict.status));
    }
    const r = this.result(cmd, cmd.target, {
      status: verdict.status,
      detail: verdict.detail,
      startedAt: now,
      finishedAt: this.clock.now(),
    });
    await this.writer.commit([r], state, verdict.authentic ? cmd.id : null);
    return r;
  }

  async checkLeases(): Promise<ActionResultRecord[]> {
    this.alive();
    const now = this.clock.now();
    this.seen.prune(now);
    const out: ActionResultRecord[] = [];
    for (const lease of lapsedLeases(this.leases, now)) {
      const r = await this.revertLapsed(lease, now);
      if (r !== null) out.push(r);
    }
    return out;
  }

  /** Re-commits an outcome whose earlier commit failed (the command is not applied again). */
  private async resend(commandId: string, retry: LedgerCommit): Promise<ActionResultRecord> {
    await this.writer.commit(retry.results, retry.state, commandId);
    return retry.results[0];
  }

  private checkContext(now: number): CheckContext {
    const { options, seen } = this;
    return {
      types: this.types,
      targets: options.targets,
      keyring: options.keyring,
      audiences: this.audiences,
      maxLeaseMs: this.maxLeaseMs,
      now,
      maxClockSkewMs: options.maxClockSkewMs,
      bounds: options.bounds,
      seen: (id) => seen.get(id),
      validate: options.validate,
    };
  }

  /** The result record of `cmd` (or of an unreadable record keyed `fallbackTarget`). */
  private result(cmd: Command | null, fallbackTarget: string, facts: ResultFacts): ActionResultRecord {
    return {
      commandId: cmd?.id ?? '',
      executor: this.name,
      target: cmd?.target ?? fallbackTarget,
      type: cmd?.type ?? '',
      status: facts.status,
      detail: facts.detail,
      startedAt: facts.startedAt,
      finishedAt: facts.finishedAt,
      attempt: facts.attempt ?? 1,
      mode: cmd?.mode ?? null,
      leaseExpiresAt: cmd === null ? null : (getLease(this.leases, cmd.target, familyOf(cmd.type))?.expiresAt ?? null),
      previous: facts.previous ?? {},
    };
  }

  /** Applies or reverts a command that passed every check: intent first, then outcome with its offset. */
  private async act(cmd: Command): Promise<ActionResultRecord> {
    const family = familyOf(cmd.type);
    const revert = isRevertType(cmd.type);
    this.alive();
    await this.options.ledger.begin({
      kind: 'command',
      commandId: cmd.id,
      state: 'applying',
      status: null,
      expiresAt: cmd.expiresAt,
      command: cmd,
    });
    this.seen.mark(cmd.id, { state: 'applying', expiresAt: cmd.expiresAt });
    const startedAt = this.clock.now();
    const lease = getLease(this.leases, cmd.target, family) ?? null;
    const done = revert
      ? await this.timer.run(`revert of ${cmd.id}`, (ctx) =>
          this.options.revert({ target: cmd.target, family, cause: 'command', command: cmd, lease }, ctx),
        )
      : await this.timer.run(`apply of ${cmd.id}`, (ctx) => this.options.apply(cmd, ctx));
    this.alive();
    const finishedAt = this.clock.now();
    this.revertRetries.delete(executorLeaseKey(cmd.target, family));
    const leaseChange = this.updateLease(cmd, revert, done);
    const status: ActionStatus = done.ok ? (revert ? 'reverted' : 'applied') : 'failed';
    const detail = done.ok ? (done.outcome.detail ?? '') : done.error;
    const r = this.result(cmd, cmd.target, {
      status,
      detail,
      startedAt,
      finishedAt,
      previous: done.ok ? done.outcome.previous : undefined,
    });
    this.seen.mark(cmd.id, { state: 'done', expiresAt: cmd.expiresAt });
    const state: StateEntry[] = [doneEntry(cmd, status)];
    if (leaseChange !== null) state.push(leaseChange);
    await this.writer.commit([r], state, cmd.id);
    return r;
  }

  /** The lease table after an apply or revert of `cmd`; returns the state entry to write, if any. */
  private updateLease(cmd: Command, revert: boolean, done: TimedOutcome): StateEntry | null {
    const family = familyOf(cmd.type);
    if (revert && done.ok) {
      this.leases = dropLease(this.leases, cmd.target, family);
      return { kind: 'lease', target: cmd.target, family, lease: null };
    }
    if (revert) return null;
    // A failed apply may still have changed something: keep it leased so it is reverted.
    // The settings before the lease began: kept across renewals, so a revert restores the operator's, not ours.
    const prior = getLease(this.leases, cmd.target, family);
    const previous = prior?.previous ?? (done.ok ? done.outcome.previous : undefined);
    const next: ExecutorLease =
      previous === undefined ? leaseFor(cmd, !done.ok) : { ...leaseFor(cmd, !done.ok), previous };
    this.leases = putLease(this.leases, next);
    return { kind: 'lease', target: cmd.target, family, lease: next };
  }

  /** Reverts one lapsed lease, or schedules the next attempt (doubling, up to a minute) when revert fails. */
  private async revertLapsed(lease: ExecutorLease, now: number): Promise<ActionResultRecord | null> {
    const key = executorLeaseKey(lease.target, lease.family);
    const retry = this.revertRetries.get(key);
    if (retry !== undefined && retry.nextAt > now) return null;
    const attempt = (retry?.attempts ?? 0) + 1;
    const done = await this.timer.run(`revert of lapsed lease ${lease.command.id}`, (ctx) =>
      this.options.revert(
        { target: lease.target, family: lease.family, cause: 'lease-lapsed', command: lease.command, lease },
        ctx,
      ),
    );
    this.alive();
    const finishedAt = this.clock.now();
    if (!done.ok) {
      this.revertRetries.set(key, {
        attempts: attempt,
        nextAt: finishedAt + Math.min(MAX_REVERT_RETRY_MS, this.revertRetryMs * 2 ** (attempt - 1)),
      });
      const r = this.result(lease.command, lease.target, {
        status: 'failed',
        detail: `lease lapsed; revert failed (will retry): ${done.error}`,
        startedAt: now,
        finishedAt,
        attempt,
      });
      await this.writer.commit([r], [], null);
      return r;
    }
    this.revertRetries.delete(key);
    this.leases = dropLease(this.leases, lease.target, lease.family);
    const detail = `lease lapsed${done.outcome.detail ? `: ${done.outcome.detail}` : ''}`;
    const r = this.result(lease.command, lease.target, {
      status: 'reverted',
      detail,
      startedAt: now,
      finishedAt,
      attempt,
      previous: done.outcome.previous,
    });
    await this.writer.commit([r], [{ kind: 'lease', target: lease.target, family: lease.family, lease: null }], null);
    return r;
  }
}

/** The state entry that records a command as settled with `status`. */
function doneEntry(cmd: Command, status: ActionStatus): StateEntry {
  return { kind: 'command', commandId: cmd.id, state: 'done', status, expiresAt: cmd.expiresAt, command: null };
}
