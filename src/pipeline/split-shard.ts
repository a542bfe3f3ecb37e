/**
 * A decision shard of a stage two split over processes (docs/scale-out.md, "The Kafka
 * wiring"): the DecisionShard of shard-stage.ts behind the messages of split-protocol.ts.
 * Per window it evaluates its finals and reports to the arbiter; given the arbiter's verdicts
 * on its candidates it builds, hashes and signs their commands and decisions (the work that
 * grows with commands, so in parallel over shards) and sends them back; it then waits for the
 * window's settlement before it takes the next window (the barrier: the verdicts and the
 * verifier's reverts change its leases, which the next window's lapse and renewals read).
 * Its state is its checkpoint: what it holds between two transactions of its driver.
 */
import type { WindowSignal } from '../model/signal';
import type { Entry, Setup } from '../policies/engine';
import type { ControlDeps } from '../policies/engine-control';
import type { DecisionEngineState } from '../policies/engine-types';
import type { VerifierConfig } from '../verify/config';
import { createDecisionShard, type DecisionShard, type ShardCandidate, type WindowFrame } from './shard-stage';
import type { ShardPlan } from './shard-state';
import {
  fromWire,
  toWire,
  type ControlAck,
  type ControlForward,
  type ShardBuilt,
  type ShardReport,
  type ShardSettlement,
  type ShardVerdicts,
  type WindowSummary,
  type WireWindow,
} from './split-protocol';
import { addVerifiedTargets, createVerifySelector } from './verify-select';

/** The window every side decides, from its summary; null when no window length is known yet (the window is skipped). */
export function frameOf(summary: WindowSummary, windowMs: number | null): WindowFrame | null {
  const observed = summary.end - summary.minStart;
  const wms = observed > 0 ? observed : windowMs;
  if (wms === null || wms <= 0) return null;
  return { eventTime: summary.end, windowMs: wms, batch: { windowStart: summary.minStart, windowEnd: summary.end } };
}

/** JSON-safe: what a shard's driver persists with each transaction. */
export interface SplitShardCheckpoint {
  state: DecisionEngineState;
  windowMs: number | null;
  pending: string[];
  /** The window reported and not yet settled (null: none). */
  awaiting: number | null;
  /** The reported window whose verdicts are awaited (null: none, or it had no candidates): what building reads. */
  building: Building | null;
  controls: number;
}

/** A reported window with candidates, until their verdicts come: its frame and the report's window. */
export interface Building {
  eventTime: number;
  windowMs: number;
  window: WireWindow;
}

export interface SplitShard {
  /** Evaluates a window on the shard's finals of it (release order). Throws while a settlement is awaited. */
  window(summary: WindowSummary, finals: readonly WindowSignal[]): ShardReport;
  /** Builds, hashes and signs the awaited window's commands and decisions from the verdicts on its candidates. */
  verdicts(v: ShardVerdicts): ShardBuilt;
  settle(s: ShardSettlement): void;
  /** Whether the message of window `end` of `kind` is the one the shard awaits next. */
  awaits(kind: 'verdicts' | 'settle', end: number): boolean;
  control(f: ControlForward, deps: ControlDeps): ControlAck;
  /** The window whose settlement the shard waits for, or null. */
  awaiting(): number | null;
  checkpoint(): SplitShardCheckpoint;
  restore(cp: SplitShardCheckpoint): void;
}

export interface SplitShardOptions {
  setup: Setup;
  plan: ShardPlan;
  index: number;
  verifier?: VerifierConfig;
  /** The shard's part of the state to start from (shard-state.ts, splitShardState). */
  init: DecisionEngineState;
}

export function createSplitShard(o: SplitShardOptions): SplitShard {
  const { setup, plan, index } = o;
  const runs = (e: Entry): boolean => (plan.ownerOf(e) ?? index) === index;
  const select = o.verifier ? createVerifySelector(o.verifier) : null;
  // A copy: the shard steps its policies' tables in place, and a driver makes a new shard from the same options after a reset.
  let shard: DecisionShard = createDecisionShard(setup, runs, structuredClone(o.init));
  let windowMs: number | null = o.init.windowMs;
  let pending: string[] = [];
  let awaiting: number | null = null;
  let building: Building | null = null;
  /** The candidates of `building` as evaluated (after a restore: rebuilt from the report), so that building parses nothing. */
  let candidates: readonly ShardCandidate[] | null = null;
  let controls = 0;

  /** The finals of `finals` a policy reads in this shard: all for a whole policy, its targets' for a per-target one. */
  const finalsOf = (finals: readonly WindowSignal[]) => (e: Entry) => {
    if (plan.ownerOf(e) !== null) return finals;
    const per = e.cp.policy.perTarget!;
    return finals.filter((s) => {
      const t = per.targetOf(s);
      return t !== null && plan.shardOfTarget(e.cp.name, t) === index;
    });
  };

  return {
    window(summary, finals) {
      if (awaiting !== null)
        throw new Error(`decision shard ${index}: window ${summary.end} before the settlement of ${awaiting}`);
      const frame = frameOf(summary, windowMs);
      const targets = new Set(pending);
      let wire: ShardReport['window'] = null;
      if (frame === null) shard.skip(summary.end);
      else {
        const w = shard.onWindow(frame, finalsOf(finals));
        addVerifiedTargets(targets, w.candidates);
        wire = toWire(w);
        windowMs = frame.windowMs;
        // A window without candidates gets no verdicts: the arbiter takes its decisions from the report.
        if (w.candidates.length > 0) {
          building = { eventTime: frame.eventTime, windowMs: frame.windowMs, window: wire };
          candidates = w.candidates;
        }
      }
      awaiting = summary.end;
      const verify = select ? select(finals, targets) : [];
      return { kind: 'report', shard: index, summary, window: wire, verify, controls };
    },
    verdicts(v) {
      if (building === null || awaiting !== v.end)
        throw new Error(
          `decision shard ${index}: verdicts of window ${v.end}, awaiting ${awaiting} (building: ${building !== null})`,
        );
      const cands = candidates ?? fromWire(setup, building.window).candidates;
      const frame = { eventTime: building.eventTime, windowMs: building.windowMs, signing: setup.signing };
      const settlement = { lastChange: new Map(v.lastChange), breakers: new Map(v.breakers), verdicts: v.verdicts };
      const built = shard.settleOn(frame, cands, settlement);
      const decisions = [...building.window.decisions, ...built.decisions];
      building = null;
      candidates = null;
      return { kind: 'built', shard: index, end: v.end, commands: built.commands, decisions };
    },
    settle(s) {
      if (building !== null || awaiting !== s.end)
        throw new Error(
          `decision shard ${index}: a settlement of window ${s.end}, awaiting ${awaiting} (building: ${building !== null})`,
        );
      for (const cmd of s.reverts) shard.revert(cmd);
      pending = s.pending;
      awaiting = null;
    },
    awaits: (kind, end) => awaiting === end && (kind === 'verdicts') === (building !== null),
    control(f, deps) {
      const r = shard.onControl(f.control, deps);
      controls = f.seq;
      return { kind: 'control-ack', shard: index, seq: f.seq, decisions: r.decisions };
    },
    awaiting: () => awaiting,
    checkpoint: () => ({ state: shard.state(), windowMs, pending, awaiting, building, controls }),
    restore(cp) {
      shard = createDecisionShard(setup, runs, cp.state);
      windowMs = cp.windowMs;
      pending = cp.pending;
      awaiting = cp.awaiting;
      building = cp.building ?? null;
      candidates = null;
      controls = cp.controls;
    },
  };
}
