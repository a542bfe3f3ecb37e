/**
 * What the decision shards and the arbiter of a stage two split over processes say to each
 * other (docs/scale-out.md, "The Kafka wiring"): plain JSON, one Kafka record each. The
 * shards' finals never cross: a shard sends the arbiter its candidates, counts and lapse
 * decisions, and the few finals verification reads; the arbiter sends each shard its
 * settlement (guardrail slices, the leases the verdicts left, the verifier's reverts of its
 * leases, the targets under verification). Candidates name their policy (a policy holds
 * functions); every side rebuilds the same Setup from the same config.
 */
import type { Lease } from '../actions/leases';
import { ConfigError } from '../errors';
import type { ControlRecord } from '../guardrails/control';
import type { BreakerEntry, Candidate } from '../guardrails/types';
import type { Command } from '../model/command';
import type { Decision } from '../model/decision';
import type { WindowSignal } from '../model/signal';
import type { Setup } from '../policies/engine';
import type { ShardCandidate, ShardWindow } from './shard-stage';

/** What every shard knows of a window from all of its finals (stage one's window records): its end and earliest start. */
export interface WindowSummary {
  end: number;
  minStart: number;
}

/** A candidate as it crosses: its policy by name. */
export type WireCandidate = Omit<ShardCandidate, 'pc'> & { policy: string; cand: Candidate };

/** A shard's window as it crosses: Maps as entry lists. */
export interface WireWindow {
  decisions: Decision[];
  candidates: WireCandidate[];
  known: [string, number][];
  leases: { total: number; perPolicy: [string, number][]; targets: [string, number][] };
}

/** Shard → arbiter, once per window, every shard (a skipped window has no `window`). */
export interface ShardReport {
  kind: 'report';
  shard: number;
  summary: WindowSummary;
  window: WireWindow | null;
  /** The shard's finals that verification reads (verify-select.ts), in release order. */
  verify: WindowSignal[];
  /** Control records the shard had applied when it evaluated the window (ControlForward.seq). */
  controls: number;
}

/** Arbiter → shard, once per window: what the window's verdicts and verification did to the shard's state. */
export interface ShardSettlement {
  kind: 'settle';
  end: number;
  lastChange: [string, number | null][];
  breakers: [string, BreakerEntry | null][];
  leases: [string, Lease | null][];
  /** The verifier's automatic reverts of leases this shard holds. */
  reverts: Command[];
  /** Targets under verification after the window: the shard forwards their finals with the next one. */
  pending: string[];
}

/** Arbiter → every shard: an operator's record, applied by the arbiter's replica; the `seq`-th one. */
export interface ControlForward {
  kind: 'control';
  seq: number;
  control: ControlRecord;
}

/** Shard → arbiter: the decisions a forwarded record made about the shard's leases. */
export interface ControlAck {
  kind: 'control-ack';
  shard: number;
  seq: number;
  decisions: Decision[];
}

export type ToArbiter = ShardReport | ControlAck;
export type ToShard = ShardSettlement | ControlForward;

export function toWire(w: ShardWindow): WireWindow {
  return {
    decisions: w.decisions,
    candidates: w.candidates.map(({ pc, ...rest }) => ({ ...rest, policy: pc.entry.cp.name, cand: pc.cand })),
    known: [...w.known],
    leases: { total: w.leases.total, perPolicy: [...w.leases.perPolicy], targets: [...w.leases.targets] },
  };
}

/** A shard's window as the arbiter takes it: each candidate with its policy's entry again. */
export function fromWire(setup: Setup, w: WireWindow): ShardWindow {
  return {
    decisions: w.decisions,
    candidates: w.candidates.map(({ policy, cand, ...rest }) => {
      const entry = setup.byName.get(policy);
      // Both sides built their Setup from one config: a name one of them lacks is a wiring bug.
      if (entry === undefined) throw new ConfigError([`decision shard: a candidate of unknown policy '${policy}'`]);
      return { ...rest, pc: { entry, cand } };
    }),
    known: new Map(w.known),
    leases: { total: w.leases.total, perPolicy: new Map(w.leases.perPolicy), targets: new Map(w.leases.targets) },
  };
}
