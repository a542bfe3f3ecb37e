/**
 * Public types of the executor SDK: what an executor is told to do (apply / revert), what
 * it keeps (leases, the seen-set) and where it keeps it (the ledger).
 */
import type { NumericParamKey } from '../actions';
import type { Keyring } from '../actions';
import type { ActionResultRecord, ActionStatus } from '../codec';
import type { Command, CommandFamily, CommandType } from '../model/command';
import type { Logger } from '../ops/logger';
import type { HomeostatMetrics } from '../ops/metrics';

/** Wall clock of the executor. Executors live at the edge: lease expiry is wall-clock time. */
export interface WallClock {
  now(): number;
}

/** Which targets an executor may touch: an exact list, or a predicate. */
export type TargetAllowList = readonly string[] | ((target: string) => boolean);

/** Inclusive [min, max] per numeric parameter; a `.set` outside them is rejected. */
export type ParamBounds = Partial<Readonly<Record<NumericParamKey, readonly [number, number]>>>;

/** What apply / revert may tell the SDK about what they did (both optional). */
export interface ApplyOutcome {
  /** Goes into the result's `detail`. */
  detail?: string;
  /** Settings in force before the change, as strings (e.g. `{ timeoutMs: '30000' }`), for the audit. */
  previous?: Record<string, string>;
}

export interface ApplyContext {
  /** Aborted when the apply timeout passes or the executor is killed: stop your I/O. */
  signal: AbortSignal;
  logger: Logger;
}

/** A setting the executor has applied and must revert unless it is renewed before `expiresAt`. */
export interface ExecutorLease {
  target: string;
  family: CommandFamily;
  /** The last `.set` command applied (or attempted) for this target and family. */
  command: Command;
  /** Wall-clock epoch ms after which the executor reverts. */
  expiresAt: number;
  /**
   * True when the executor cannot know whether the setting took effect (apply failed or
   * was interrupted): it is reverted on lapse all the same, because reverting a setting
   * that never took effect is harmless and leaving one in force is not.
   */
  uncertain: boolean;
  /**
   * What apply reported in force before this lease began (`ApplyOutcome.previous` of its
   * first successful apply; renewals keep it): what a revert restores. Absent when unknown.
   */
  previous?: Record<string, string>;
}

export interface RevertRequest {
  target: string;
  family: CommandFamily;
  /** A `.revert` command, or a lease that lapsed without renewal. */
  cause: 'command' | 'lease-lapsed';
  /** The `.revert` command (cause `command`) or the lease's last `.set` command (`lease-lapsed`). */
  command: Command;
  /** The lease in force when the revert started, if any. */
  lease: ExecutorLease | null;
}

export type ApplyFn = (cmd: Command, ctx: ApplyContext) => Promise<ApplyOutcome | void>;
export type RevertFn = (req: RevertRequest, ctx: ApplyContext) => Promise<ApplyOutcome | void>;
/** Extra, executor-specific validation of a command: a reason to reject it, or undefined. */
export type ValidateFn = (cmd: Command) => string | undefined;

/** What the executor remembers of a command id (the seen-set entry). */
export interface SeenEntry {
  /** `applying`: the intent was written but no outcome (a crash mid-apply if it stays so). */
  state: 'applying' | 'done';
  /** The command's expiry: the entry is forgotten some time after it (see dedupGraceMs). */
  expiresAt: number;
}

/**
 * One entry of the executor's durable state (on Kafka: a record of the compacted state
 * topic, see kafka-ledger.ts). Later entries override earlier ones with the same key.
 */
export type StateEntry =
  | {
      kind: 'command';
      commandId: string;
      state: 'applying' | 'done';
      /** The outcome, when `done`. */
      status: ActionStatus | null;
      expiresAt: number;
      /** The command itself in the `applying` entry, so that a restart can revert it on lapse. */
      command: Command | null;
    }
  | { kind: 'lease'; target: string; family: CommandFamily; lease: ExecutorLease | null };

export interface ConsumedOffset {
  topic: string;
  partition: number;
  /** The next offset to consume (the handled message's offset + 1), as a decimal string. */
  offset: string;
}

export interface LedgerCommit {
  results: ActionResultRecord[];
  state: StateEntry[];
  /** Consumer positions to commit together with the rest (empty for lease lapses). */
  offsets: ConsumedOffset[];
}

/**
 * Where an executor keeps its state and writes its results. The Kafka ledger (the
 * default) keeps state in a compacted topic and commits results, state and consumer
 * offsets in one transaction; an in-memory ledger serves tests.
 */
export interface ExecutorLedger {
  /** Prepare (connect, create what is missing) and return every state entry, oldest first. */
  open(): Promise<StateEntry[]>;
  /** Durably record an intent: once this resolves, a later open() returns it. */
  begin(entry: StateEntry): Promise<void>;
  /** Write results, state entries and offsets together: all or nothing. */
  commit(commit: LedgerCommit): Promise<void>;
  close(): Promise<void>;
}

export type ExecutorMetrics = Pick<HomeostatMetrics, 'executorResults' | 'executorApplySeconds'>;

/** Options of the pure-ish core shared by the Kafka executor and tests (no Kafka here). */
export interface ExecutorCoreOptions {
  /** Executor identity: the `executor` field of results, and the metrics label. */
  name: string;
  /** Command types this executor handles; others on the actions topic are skipped silently. */
  types: readonly CommandType[];
  targets?: TargetAllowList;
  /** The processor's Ed25519 public keys by key id. */
  keyring: Keyring;
  /**
   * Audiences this executor applies commands for; any other is rejected. Default: the
   * families of `types` (what the processor sets unless its `signing.audiences` says otherwise).
   */
  audiences?: readonly string[];
  /** A command whose lease (expiresAt − issuedAt) is longer is rejected. Default 900 000 (15 min). */
  maxLeaseMs?: number;
  /** A command issued further than this in the future of the executor's clock is rejected. */
  maxClockSkewMs: number;
  bounds?: ParamBounds;
  validate?: ValidateFn;
  apply: ApplyFn;
  revert: RevertFn;
  ledger: ExecutorLedger;
  logger?: Logger;
  metrics?: ExecutorMetrics;
  clock?: WallClock;
  /** Time allowed for one apply or revert. Default 10 000 ms. */
  applyTimeoutMs?: number;
  /** How long past its expiry a command id is remembered as seen. Default 1 h. */
  dedupGraceMs?: number;
  /** First retry delay of a failed lease-lapse revert, doubled up to 60 s. Default 1 000 ms. */
  revertRetryMs?: number;
}

export type { ActionResultRecord, ActionStatus };
