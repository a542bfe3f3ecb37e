/**
 * The arbiter of a stage two split over processes (docs/scale-out.md, "The Kafka wiring"):
 * the single owner that collects every shard's report of a window, judges the candidates
 * (arbiter.ts, the fleet-wide guardrails exact) and sends each shard the verdicts on its
 * candidates; the shards build, hash and sign the window's commands and decisions and send
 * them back; once every shard's are in, it merges them in the single engine's order, verifies
 * them on the finals the shards forwarded, publishes them and settles each shard. It publishes,
 * not the shards: the single stage writes a window's commands in one sorted run per
 * partition, the verifier's reverts after them, and two shards' transactions would interleave.
 * It also sequences the operators' control records: it applies a record to its replica and
 * forwards it to every shard, whose decisions come back as acks and go out together, sorted,
 * as the single stage writes them.
 *
 * Its work grows with the candidates, not with the series. Pure: its driver persists
 * `checkpoint()` with each transaction.
 */
import type { SigningKey } from '../actions/signing';
import type { ControlRecord } from '../guardrails/control';
import type { Command } from '../model/command';
import type { Decision } from '../model/decision';
import type { WindowSignal } from '../model/signal';
import { compareKeys } from '../core/series-key';
import type { Setup } from '../policies/engine';
import { sortDecisions } from '../policies/engine-support';
import type { ControlDeps } from '../policies/engine-control';
import type { Verifier, VerifierState } from '../verify';
import { createArbiter, type ArbiterState } from './arbiter';
import type { DecideOutputs } from './decide';
import { mergeBuilt, type Built, type ShardWindow } from './shard-stage';
import { splitShardState, type ShardPlan } from './shard-state';
import type { DecisionEngineState } from '../policies/engine-types';
import {
  fromWire,
  type ControlAck,
  type ControlForward,
  type ShardBuilt,
  type ShardReport,
  type ShardSettlement,
  type ShardVerdicts,
} from './split-protocol';
import { frameOf } from './split-shard';
import { verifyWindow } from './verify-step';

/** JSON-safe: what the arbiter's driver persists with each transaction. */
export interface SplitArbiterCheckpoint {
  own: ArbiterState;
  verifier: VerifierState | null;
  windowMs: number | null;
  /** The last window judged (null: none); settled once `building` is null. */
  settled: number | null;
  /** The window judged whose records the shards are building (null: none). */
  building: ArbiterBuilding | null;
  /** Control records forwarded so far. */
  seq: number;
  /** The reports of the window being collected, by shard (null: not yet in). */
  reports: (ShardReport | null)[];
  /** Acks of forwarded records not yet all in. */
  acks: [number, ControlAck[]][];
}

/** A judged window until every shard's records are in: what verification then reads. */
export interface ArbiterBuilding {
  end: number;
  /** The finals the shards forwarded for verification, each once, in release order. */
  verify: WindowSignal[];
  /** Each shard's records (null: not in yet); a shard without candidates built none, its decisions came with its report. */
  built: (Built | null)[];
}

/** A window's outputs and each shard's settlement (shard order). */
export interface ArbiterSettled {
  out: DecideOutputs;
  settlements: ShardSettlement[];
}

export interface SplitArbiterCounters {
  /** Reports or records of a window already judged or built (a shard's replay): ignored. */
  stale: number;
  /** Windows whose shards had applied a different number of control records than the arbiter (a record raced a window). */
  controlRaces: number;
}

export interface SplitArbiter {
  /**
   * A shard's report; once every shard's is in, the verdicts for each shard that reported
   * candidates (null for the others), and the window's outputs and settlements when no shard did.
   */
  report(r: ShardReport): { verdicts: (ShardVerdicts | null)[]; settled: ArbiterSettled | null } | null;
  /** A shard's records; once every shard's is in, the window's outputs and settlements. */
  built(b: ShardBuilt): ArbiterSettled | null;
  /** Why `report` or `built` would refuse `r` (a shard it does not have, a window other than the one open); undefined: it takes it. */
  refuses(r: ShardReport | ShardBuilt): string | undefined;
  /** An operator's record: why it was refused, or the forward every shard applies (none when it changed nothing). */
  control(c: ControlRecord): { refused?: string; forward?: ControlForward };
  /** A shard's ack; once every shard's is in, the record's decisions, sorted. */
  ack(a: ControlAck): Decision[] | null;
  checkpoint(): SplitArbiterCheckpoint;
  restore(cp: SplitArbiterCheckpoint): void;
  counters(): SplitArbiterCounters;
}

export interface SplitArbiterOptions {
  setup: Setup;
  plan: ShardPlan;
  deps: ControlDeps;
  verifier?: Verifier;
  /** Signs automatic reverts (null: unsigned). */
  signing: SigningKey | null;
  init: SplitArbiterCheckpoint;
}

/** The finals the shards forwarded for verification, each once, in release order (key order). */
function verifyFinals(reports: readonly ShardReport[]): WindowSignal[] {
  const byKey = new Map<string, WindowSignal>();
  for (const r of reports) for (const s of r.verify) byKey.set(s.key, s);
  return [...byKey.values()].sort((a, b) => compareKeys(a.key, b.key));
}

/** A message of a window already judged (or built, for records): a shard's replay after a restart. */
function isStale(cp: SplitArbiterCheckpoint, r: ShardReport | ShardBuilt): boolean {
  const end = r.kind === 'report' ? r.summary.end : r.end;
  if (cp.settled === null || end > cp.settled) return false;
  return r.kind === 'report' || end !== cp.building?.end || cp.building.built[r.shard] !== null;
}

/** Why the arbiter cannot take `r` in the state `cp`; undefined: it takes it (a replay is taken, and ignored). */
function refusal(cp: SplitArbiterCheckpoint, r: ShardReport | ShardBuilt): string | undefined {
  if (!Number.isSafeInteger(r.shard) || r.shard < 0 || r.shard >= cp.reports.length)
    return `a ${r.kind === 'report' ? 'report' : 'build'} from shard ${r.shard}, of ${cp.reports.length}`;
  if (isStale(cp, r)) return undefined;
  if (r.kind === 'built')
    return r.end === cp.building?.end ? undefined : `shard ${r.shard} built window ${r.end}, which was not judged`;
  if (cp.building !== null)
    return `shard ${r.shard} reported window ${r.summary.end} while ${cp.building.end} is being built`;
  const other = cp.reports.find((x) => x !== null && x.summary.end !== r.summary.end);
  return other ? `shard ${r.shard} reported window ${r.summary.end} while ${other.summary.end} is open` : undefined;
}

export function createSplitArbiter(o: SplitArbiterOptions): SplitArbiter {
  const { setup, plan } = o;
  const arbiter = createArbiter(setup);
  // A copy: a driver makes a new arbiter from the same options after every reset, and cp is changed in place.
  let cp: SplitArbiterCheckpoint = structuredClone(o.init);
  arbiter.restore(cp.own);
  const counters: SplitArbiterCounters = { stale: 0, controlRaces: 0 };

  /** Judges the window every shard has reported: the verdicts each shard builds from. */
  const judge = (reports: ShardReport[]): { verdicts: (ShardVerdicts | null)[]; settled: ArbiterSettled | null } => {
    const summary = reports[0].summary;
    if (reports.some((r) => r.controls !== cp.seq)) counters.controlRaces++;
    const frame = frameOf(summary, cp.windowMs);
    // A shard without candidates has nothing to build: its decisions (lapses, policy errors) are in its report.
    const built = reports.map((r): Built | null =>
      (r.window?.candidates.length ?? 0) > 0 ? null : { commands: [], decisions: r.window?.decisions ?? [] },
    );
    const verdicts: (ShardVerdicts | null)[] = reports.map(() => null);
    if (frame !== null) {
      const windows: ShardWindow[] = reports.map((r) => fromWire(setup, r.window!));
      arbiter.decide(frame, windows).settlements.forEach((s, i) => {
        if (built[i] === null)
          verdicts[i] = {
            kind: 'verdicts',
            end: summary.end,
            lastChange: [...s.lastChange],
            breakers: [...s.breakers],
            verdicts: s.verdicts,
          };
      });
      cp.windowMs = frame.windowMs;
    }
    cp.own = arbiter.state();
    cp.settled = summary.end;
    cp.building = { end: summary.end, verify: verifyFinals(reports), built };
    return { verdicts, settled: built.every((x) => x !== null) ? finish(cp.building) : null };
  };

  /** Merges the shards' records as the single engine orders them, verifies them, and settles every shard. */
  const finish = (b: ArbiterBuilding): ArbiterSettled => {
    const merged = mergeBuilt(b.built as Built[]);
    const out: DecideOutputs = { commands: merged.commands, decisions: merged.decisions };
    const reverts: Command[][] = b.built.map(() => []);
    if (o.verifier && cp.verifier) {
      const step = { commands: [...out.commands], signals: b.verify, eventTime: b.end };
      cp.verifier = verifyWindow(o.verifier, cp.verifier, step, o.signing, out, (cmd) =>
        reverts[plan.shardOfTarget(cmd.policy, cmd.target)].push(cmd),
      );
    }
    const pending = cp.verifier ? [...new Set(cp.verifier.pending.map((v) => v.target))].sort() : [];
    cp.building = null;
    const settlements = reverts.map((r): ShardSettlement => ({ kind: 'settle', end: b.end, reverts: r, pending }));
    return { out, settlements };
  };

  const refuses = (r: ShardReport | ShardBuilt): string | undefined => refusal(cp, r);

  const take = (r: ShardReport | ShardBuilt): boolean => {
    const why = refuses(r);
    if (why !== undefined) throw new Error(`arbiter: ${why}`);
    if (!isStale(cp, r)) return true;
    counters.stale++;
    return false;
  };

  return {
    refuses,
    report(r) {
      if (!take(r)) return null;
      cp.reports[r.shard] = r;
      if (cp.reports.some((x) => x === null)) return null;
      const reports = cp.reports as ShardReport[];
      cp.reports = reports.map(() => null);
      return judge(reports);
    },
    built(b) {
      if (!take(b)) return null;
      const building = cp.building!;
      building.built[b.shard] = { commands: b.commands, decisions: b.decisions };
      return building.built.every((x) => x !== null) ? finish(building) : null;
    },
    control(c) {
      const before = arbiter.state().control;
      const refused = arbiter.onControl(c, o.deps);
      if (refused !== undefined) return { refused };
      cp.own = arbiter.state();
      if (cp.own.control === before) return {};
      cp.seq += 1;
      cp.acks.push([cp.seq, []]);
      return { forward: { kind: 'control', seq: cp.seq, control: c } };
    },
    ack(a) {
      const entry = cp.acks.find(([seq]) => seq === a.seq);
      if (entry === undefined || entry[1].some((x) => x.shard === a.shard)) return null;
      entry[1].push(a);
      if (entry[1].length < plan.shards) return null;
      cp.acks = cp.acks.filter((x) => x !== entry);
      // Each shard's in the order it made them (records tied in the sort are one target's, so one shard's).
      return sortDecisions([...entry[1]].sort((x, y) => x.shard - y.shard).flatMap((x) => x.decisions));
    },
    checkpoint: () => cp,
    restore(next) {
      cp = { ...next, building: next.building ?? null };
      arbiter.restore(cp.own);
    },
    counters: () => ({ ...counters }),
  };
}

/** Where a split stage two starts from an engine state (fresh, or a single stage's snapshot): each shard's part and the arbiter's. */
export function splitStart(
  setup: Setup,
  plan: ShardPlan,
  state: DecisionEngineState,
  verifier: VerifierState | null,
): { shards: DecisionEngineState[]; arbiter: SplitArbiterCheckpoint } {
  const { parts, arbiter } = splitShardState(setup, plan, state);
  return {
    shards: parts,
    arbiter: {
      own: arbiter,
      verifier,
      windowMs: state.windowMs,
      settled: null,
      building: null,
      seq: 0,
      reports: parts.map(() => null),
      acks: [],
    },
  };
}
