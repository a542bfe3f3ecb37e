/**
 * The arbiter of a stage two split over processes (docs/scale-out.md, "The Kafka wiring"):
 * the single owner that collects every shard's report of a window, judges the candidates
 * (arbiter.ts, the fleet-wide guardrails exact), builds and signs the window's commands and
 * decisions in the single engine's order, verifies them on the finals the shards forwarded,
 * and settles each shard. It also sequences the operators' control records: it applies a
 * record to its replica and forwards it to every shard, whose decisions come back as acks
 * and go out together, sorted, as the single stage writes them.
 *
 * Its work grows with the candidates, not with the series. Pure: its driver persists
 * `checkpoint()` with each transaction.
 */
import { leaseKey } from '../actions/leases';
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
import { buildFromVerdicts, mergeBuilt, type Built, type Settlement, type ShardWindow } from './shard-stage';
import { splitShardState, type ShardPlan } from './shard-state';
import type { DecisionEngineState } from '../policies/engine-types';
import {
  fromWire,
  type ControlAck,
  type ControlForward,
  type ShardReport,
  type ShardSettlement,
} from './split-protocol';
import { frameOf } from './split-shard';
import { verifyWindow } from './verify-step';

/** JSON-safe: what the arbiter's driver persists with each transaction. */
export interface SplitArbiterCheckpoint {
  own: ArbiterState;
  verifier: VerifierState | null;
  windowMs: number | null;
  /** The last window settled (null: none). */
  settled: number | null;
  /** Control records forwarded so far. */
  seq: number;
  /** The reports of the window being collected, by shard (null: not yet in). */
  reports: (ShardReport | null)[];
  /** Acks of forwarded records not yet all in. */
  acks: [number, ControlAck[]][];
}

export interface SplitArbiterCounters {
  /** Reports of a window already settled (a shard's replay): ignored. */
  stale: number;
  /** Windows whose shards had applied a different number of control records than the arbiter (a record raced a window). */
  controlRaces: number;
}

export interface SplitArbiter {
  /** A shard's report; once every shard's is in, the window's outputs and one settlement per shard (shard order). */
  report(r: ShardReport): { out: DecideOutputs; settlements: ShardSettlement[] } | null;
  /** Why `report` would refuse `r` (a shard it does not have, a window other than the one open); undefined: it takes it. */
  refuses(r: ShardReport): string | undefined;
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

export function createSplitArbiter(o: SplitArbiterOptions): SplitArbiter {
  const { setup, plan } = o;
  const arbiter = createArbiter(setup);
  // A copy: a driver makes a new arbiter from the same options after every reset, and cp is changed in place.
  let cp: SplitArbiterCheckpoint = structuredClone(o.init);
  arbiter.restore(cp.own);
  const counters: SplitArbiterCounters = { stale: 0, controlRaces: 0 };

  /** Judges, builds and verifies the window every shard has reported. */
  const decide = (reports: ShardReport[]): { out: DecideOutputs; settlements: ShardSettlement[] } => {
    const summary = reports[0].summary;
    if (reports.some((r) => r.controls !== cp.seq)) counters.controlRaces++;
    const frame = frameOf(summary, cp.windowMs);
    const out: DecideOutputs = { commands: [], decisions: [] };
    const leases = reports.map((): [string, ShardSettlement['leases'][number][1]][] => []);
    const slices: Pick<Settlement, 'lastChange' | 'breakers'>[] = reports.map(() => ({
      lastChange: new Map(),
      breakers: new Map(),
    }));
    if (frame !== null) {
      const windows: ShardWindow[] = reports.map((r) => fromWire(setup, r.window!));
      const decided = arbiter.decide(frame, windows);
      const build = { eventTime: frame.eventTime, windowMs: frame.windowMs, signing: setup.signing };
      const built: Built[] = windows.map((w, i) => {
        const s = decided.settlements[i];
        slices[i] = s;
        const held = new Map(
          w.candidates.flatMap((c) => c.leases.map((l) => [leaseKey(l.policy, l.target, l.family), l] as const)),
        );
        const b = buildFromVerdicts(build, w.candidates, s.verdicts, (k) => held.get(k));
        leases[i] = [...b.leases];
        return { commands: b.built.commands, decisions: [...w.decisions, ...b.built.decisions] };
      });
      const merged = mergeBuilt(built);
      out.commands.push(...merged.commands);
      out.decisions.push(...merged.decisions);
      cp.windowMs = frame.windowMs;
    }
    const reverts: Command[][] = reports.map(() => []);
    if (o.verifier && cp.verifier) {
      const step = { commands: [...out.commands], signals: verifyFinals(reports), eventTime: summary.end };
      cp.verifier = verifyWindow(o.verifier, cp.verifier, step, o.signing, out, (cmd) =>
        reverts[plan.shardOfTarget(cmd.policy, cmd.target)].push(cmd),
      );
    }
    const pending = cp.verifier ? [...new Set(cp.verifier.pending.map((v) => v.target))].sort() : [];
    cp.own = arbiter.state();
    cp.settled = summary.end;
    const settlements = reports.map((_r, i): ShardSettlement => ({
      kind: 'settle',
      end: summary.end,
      lastChange: [...slices[i].lastChange],
      breakers: [...slices[i].breakers],
      leases: leases[i],
      reverts: reverts[i],
      pending,
    }));
    return { out, settlements };
  };

  const refuses = (r: ShardReport): string | undefined => {
    if (!Number.isSafeInteger(r.shard) || r.shard < 0 || r.shard >= cp.reports.length)
      return `a report from shard ${r.shard}, of ${cp.reports.length}`;
    if (cp.settled !== null && r.summary.end <= cp.settled) return undefined;
    const other = cp.reports.find((x) => x !== null && x.summary.end !== r.summary.end);
    return other ? `shard ${r.shard} reported window ${r.summary.end} while ${other.summary.end} is open` : undefined;
  };

  return {
    refuses,
    report(r) {
      const why = refuses(r);
      if (why !== undefined) throw new Error(`arbiter: ${why}`);
      if (cp.settled !== null && r.summary.end <= cp.settled) {
        counters.stale++;
        return null;
      }
      cp.reports[r.shard] = r;
      if (cp.reports.some((x) => x === null)) return null;
      const reports = cp.reports as ShardReport[];
      cp.reports = reports.map(() => null);
      return decide(reports);
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
      cp = next;
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
      seq: 0,
      reports: parts.map(() => null),
      acks: [],
    },
  };
}
