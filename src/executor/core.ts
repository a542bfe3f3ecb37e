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
import { HomeostatError, describeError } from '../errors';
import type { Command } from '../model/command';
import { silentLogger } from '../ops/logger';
import { checkCommand, type CheckContext } from './check';
import { createSeenSet } from './dedup';
import {
  dropLease,
  executorLeaseKey,
  getLease,
  lapsedLeases,
  leaseFor,
  putLease,
  type ExecutorLeaseTable,
} from './lease-table';
import { restoreState } from './restore';
import type {
  ApplyContext,
  ApplyOutcome,
  ConsumedOffset,
  ExecutorCoreOptions,
  ExecutorLease,
  LedgerCommit,
  StateEntry,
} from './types';

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

const STATUSES: readonly ActionStatus[] = [
  'applied',
  'rejected',
  'failed',
  'reverted',
  'expired',
  'shadowed',
  'duplicate',
];
const MAX_REVERT_RETRY_MS = 60_000;
/** 15 min: fifty times the default lease (3 windows of 10 s) and short enough that a leaked command cannot hold for long. */
export const DEFAULT_MAX_LEASE_MS = 900_000;

export function createExecutorCore(options: ExecutorCoreOptions): ExecutorCore {
  const { name, ledger } = options;
  const logger = options.logger ?? silentLogger();
  const clock = options.clock ?? { now: () => Date.now() };
  const applyTimeoutMs = options.applyTimeoutMs ?? 10_000;
  const revertRetryMs = options.revertRetryMs ?? 1_000;
  const types = new Set(options.types);
  const audiences = new Set(options.audiences ?? options.types.map(familyOf));
  const maxLeaseMs = options.maxLeaseMs ?? DEFAULT_MAX_LEASE_MS;
  const seen = createSeenSet(options.dedupGraceMs ?? 3_600_000);
  let leases: ExecutorLeaseTable = {};
  /** Offsets of handled records not committed yet (skipped records need no transaction of their own). */
  const pendingOffsets = new Map<string, ConsumedOffset>();
  /** Outcomes whose commit failed: re-committed (not re-applied) when the command comes again. */
  const uncommitted = new Map<string, LedgerCommit>();
  const revertRetries = new Map<string, { attempts: number; nextAt: number }>();
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<ActionStatus, number>;
  let killed = false;
  let inflight: AbortController | undefined;

  const alive = (): void => {
    if (killed) throw new HomeostatError('INVALID_STATE', `executor ${name} was killed; create a new one`);
  };

  const checkContext = (now: number): CheckContext => ({
    types,
    targets: options.targets,
    keyring: options.keyring,
    audiences,
    maxLeaseMs,
    now,
    maxClockSkewMs: options.maxClockSkewMs,
    bounds: options.bounds,
    seen: (id) => seen.get(id),
    validate: options.validate,
  });

  const result = (
    cmd: Command | null,
    fallbackTarget: string,
    status: ActionStatus,
    detail: string,
    startedAt: number,
    finishedAt: number,
    extra: { attempt?: number; previous?: Record<string, string> } = {},
  ): ActionResultRecord => ({
    commandId: cmd?.id ?? '',
    executor: name,
    target: cmd?.target ?? fallbackTarget,
    type: cmd?.type ?? '',
    status,
    detail,
    startedAt,
    finishedAt,
    attempt: extra.attempt ?? 1,
    mode: cmd?.mode ?? null,
    leaseExpiresAt: cmd === null ? null : (getLease(leases, cmd.target, familyOf(cmd.type))?.expiresAt ?? null),
    previous: extra.previous ?? {},
  });

  const commit = async (
    results: ActionResultRecord[],
    state: StateEntry[],
    commandId: string | null,
  ): Promise<void> => {
    const batch: LedgerCommit = { results, state, offsets: [...pendingOffsets.values()] };
    if (commandId !== null) uncommitted.set(commandId, batch);
    alive();
    await ledger.commit(batch);
    for (const o of batch.offsets) {
      const key = `${o.topic}:${o.partition}`;
      if (pendingOffsets.get(key) === o) pendingOffsets.delete(key);
    }
    if (commandId !== null) uncommitted.delete(commandId);
    for (const r of results) report(r);
  };

  const report = (r: ActionResultRecord): void => {
    counts[r.status]++;
    options.metrics?.executorResults.inc({ executor: name, status: r.status });
    const fields = { commandId: r.commandId, target: r.target, type: r.type, status: r.status, detail: r.detail };
    if (r.status === 'rejected' || r.status === 'failed') logger.warn(fields, 'command not applied');
    else if (r.status === 'duplicate') logger.debug(fields, 'duplicate command');
    else logger.info(fields, `command ${r.status}`);
  };

  /** Runs apply/revert with a timeout and the kill switch; resolves to the outcome or the error. */
  const timed = async (
    what: string,
    fn: (ctx: ApplyContext) => Promise<ApplyOutcome | void>,
  ): Promise<{ ok: true; outcome: ApplyOutcome } | { ok: false; error: string }> => {
    const ac = new AbortController();
    inflight = ac;
    const timer = setTimeout(
      () =>
        ac.abort(new HomeostatError('TIMEOUT', `${what} timed out after ${applyTimeoutMs} ms`, { retriable: true })),
      applyTimeoutMs,
    );
    const aborted = new Promise<never>((_, reject) => {
      ac.signal.addEventListener(
        'abort',
        () => reject(ac.signal.reason instanceof Error ? ac.signal.reason : new Error(String(ac.signal.reason))),
        { once: true },
      );
    });
    const started = process.hrtime.bigint();
    try {
      const outcome = await Promise.race([fn({ signal: ac.signal, logger }), aborted]);
      return { ok: true, outcome: outcome ?? {} };
    } catch (err) {
      return { ok: false, error: describeError(err) };
    } finally {
      clearTimeout(timer);
      inflight = undefined;
      options.metrics?.executorApplySeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  };

  const act = async (cmd: Command): Promise<ActionResultRecord> => {
    const family = familyOf(cmd.type);
    const revert = isRevertType(cmd.type);
    alive();
    await ledger.begin({
      kind: 'command',
      commandId: cmd.id,
      state: 'applying',
      status: null,
      expiresAt: cmd.expiresAt,
      command: cmd,
    });
    seen.mark(cmd.id, { state: 'applying', expiresAt: cmd.expiresAt });
    const startedAt = clock.now();
    const lease = getLease(leases, cmd.target, family) ?? null;
    const done = revert
      ? await timed(`revert of ${cmd.id}`, (ctx) =>
          options.revert({ target: cmd.target, family, cause: 'command', command: cmd, lease }, ctx),
        )
      : await timed(`apply of ${cmd.id}`, (ctx) => options.apply(cmd, ctx));
    alive();
    const finishedAt = clock.now();
    let leaseChange: StateEntry | null = null;
    revertRetries.delete(executorLeaseKey(cmd.target, family));
    if (revert && done.ok) {
      leases = dropLease(leases, cmd.target, family);
      leaseChange = { kind: 'lease', target: cmd.target, family, lease: null };
    } else if (!revert) {
      // A failed apply may still have changed something: keep it leased so it is reverted.
      // The settings before the lease began: kept across renewals, so a revert restores the operator's, not ours.
      const prior = getLease(leases, cmd.target, family);
      const previous = prior?.previous ?? (done.ok ? done.outcome.previous : undefined);
      const next: ExecutorLease =
        previous === undefined ? leaseFor(cmd, !done.ok) : { ...leaseFor(cmd, !done.ok), previous };
      leases = putLease(leases, next);
      leaseChange = { kind: 'lease', target: cmd.target, family, lease: next };
    }
    const status: ActionStatus = done.ok ? (revert ? 'reverted' : 'applied') : 'failed';
    const detail = done.ok ? (done.outcome.detail ?? '') : done.error;
    const r = result(cmd, cmd.target, status, detail, startedAt, finishedAt, {
      previous: done.ok ? done.outcome.previous : undefined,
    });
    seen.mark(cmd.id, { state: 'done', expiresAt: cmd.expiresAt });
    const state: StateEntry[] = [
      { kind: 'command', commandId: cmd.id, state: 'done', status, expiresAt: cmd.expiresAt, command: null },
    ];
    if (leaseChange !== null) state.push(leaseChange);
    await commit([r], state, cmd.id);
    return r;
  };

  const handle = async (input: Incoming, offset: ConsumedOffset | null): Promise<ActionResultRecord | null> => {
    alive();
    if (offset !== null) pendingOffsets.set(`${offset.topic}:${offset.partition}`, offset);
    if (input.command === null) {
      const now = clock.now();
      const r = result(null, input.key ?? '', 'rejected', `not a readable command: ${input.error}`, now, now);
      await commit([r], [], null);
      return r;
    }
    const cmd = input.command;
    if (!types.has(cmd.type)) return null;
    const retry = uncommitted.get(cmd.id);
    // Only the genuine command may re-send its pending outcome (a forged copy of its id is checked as usual).
    if (retry !== undefined && verifyCommand(cmd, options.keyring).ok) {
      await commit(retry.results, retry.state, cmd.id);
      return retry.results[0];
    }
    const now = clock.now();
    const verdict = checkCommand(cmd, checkContext(now));
    if (verdict.ok) return act(cmd);
    const state: StateEntry[] = [];
    if (verdict.authentic && verdict.status !== 'duplicate') {
      seen.mark(cmd.id, { state: 'done', expiresAt: cmd.expiresAt });
      state.push({
        kind: 'command',
        commandId: cmd.id,
        state: 'done',
        status: verdict.status,
        expiresAt: cmd.expiresAt,
        command: null,
      });
    }
    const r = result(cmd, cmd.target, verdict.status, verdict.detail, now, clock.now());
    await commit([r], state, verdict.authentic ? cmd.id : null);
    return r;
  };

  const revertLapsed = async (lease: ExecutorLease, now: number): Promise<ActionResultRecord | null> => {
    const key = executorLeaseKey(lease.target, lease.family);
    const retry = revertRetries.get(key);
    if (retry !== undefined && retry.nextAt > now) return null;
    const attempt = (retry?.attempts ?? 0) + 1;
    const done = await timed(`revert of lapsed lease ${lease.command.id}`, (ctx) =>
      options.revert(
        { target: lease.target, family: lease.family, cause: 'lease-lapsed', command: lease.command, lease },
        ctx,
      ),
    );
    alive();
    const finishedAt = clock.now();
    if (!done.ok) {
      revertRetries.set(key, {
        attempts: attempt,
        nextAt: finishedAt + Math.min(MAX_REVERT_RETRY_MS, revertRetryMs * 2 ** (attempt - 1)),
      });
      const r = result(
        lease.command,
        lease.target,
        'failed',
        `lease lapsed; revert failed (will retry): ${done.error}`,
        now,
        finishedAt,
        { attempt },
      );
      await commit([r], [], null);
      return r;
    }
    revertRetries.delete(key);
    leases = dropLease(leases, lease.target, lease.family);
    const detail = `lease lapsed${done.outcome.detail ? `: ${done.outcome.detail}` : ''}`;
    const r = result(lease.command, lease.target, 'reverted', detail, now, finishedAt, {
      attempt,
      previous: done.outcome.previous,
    });
    await commit([r], [{ kind: 'lease', target: lease.target, family: lease.family, lease: null }], null);
    return r;
  };

  return {
    restore(entries) {
      // Re-verified: entries on the state topic are trusted no more than the actions topic.
      const restored = restoreState(entries, (c) => verifyCommand(c, options.keyring).ok);
      if (restored.unverified.length > 0) {
        logger.warn(
          { commands: restored.unverified },
          'state entries whose command does not verify: their leases are kept only to be reverted, without restoring unsigned previous settings',
        );
      }
      const now = clock.now();
      for (const [id, e] of restored.seen) seen.mark(id, e);
      seen.prune(now);
      leases = restored.leases;
      if (restored.interrupted.length > 0) {
        logger.warn(
          { commands: restored.interrupted },
          'commands interrupted mid-apply by a crash: they will not be re-applied',
        );
      }
    },
    handle,
    async checkLeases() {
      alive();
      const now = clock.now();
      seen.prune(now);
      const out: ActionResultRecord[] = [];
      for (const lease of lapsedLeases(leases, now)) {
        const r = await revertLapsed(lease, now);
        if (r !== null) out.push(r);
      }
      return out;
    },
    leases: () => Object.values(leases),
    kill() {
      killed = true;
      inflight?.abort(new HomeostatError('INVALID_STATE', `executor ${name} was killed`));
    },
    retainOffsets(keep) {
      for (const [k, o] of pendingOffsets) if (!keep(o)) pendingOffsets.delete(k);
    },
    counts: () => ({ ...counts }),
  };
}
