/**
 * What the decision shards and the arbiter of a stage two split over processes say to each
 * other (docs/scale-out.md, "The Kafka wiring"): plain JSON, one Kafka record each (or its
 * chunks in one transaction when larger than a record: src/kafka/split-chunks.ts). The
 * shards' finals never cross: a shard sends the arbiter its candidates, counts and lapse
 * decisions, and the few finals verification reads; the arbiter sends each shard the verdicts
 * on its candidates (with their guardrail slices); the shard builds, hashes and signs its
 * commands and decisions from them and sends them back; the arbiter merges them in the single
 * engine's order, verifies, publishes, and sends each shard its settlement (the verifier's
 * reverts of its leases, the targets under verification). Candidates name their policy (a
 * policy holds functions); every side rebuilds the same Setup from the same config.
 *
 * A shard's window carries its wire version (`wire`): a report, or a checkpoint holding one,
 * of another version is refused with the reason rather than misread (split-records.ts,
 * split-checkpoint.ts, arbiter-checkpoint.ts); a group runs one version.
 */
import { ConfigError } from '../errors';
import type { ControlRecord } from '../guardrails/control';
import type { BreakerEntry, Candidate } from '../guardrails/types';
import type { Command, CommandFamily } from '../model/command';
import type { Decision } from '../model/decision';
import type { WindowSignal } from '../model/signal';
import type { Setup } from '../policies/engine';
import type { CandidateVerdict } from '../policies/verdict';
import type { ShardCandidate, ShardWindow } from './shard-stage';

/** What every shard knows of a window from all of its finals (stage one's window records): its end and earliest start. */
export interface WindowSummary {
  end: number;
  minStart: number;
}

/**
 * The shape of a shard's window as it crosses. 2: a candidate's leases as their families (the
 * arbiter reads only which leases exist; whole leases were half a report's bytes). 1 (unnamed):
 * whole leases.
 */
export const SPLIT_WIRE_VERSION = 2;

/** A candidate as it crosses: its policy by name, its leases by family (their policy and target are the candidate's). */
export type WireCandidate = Omit<ShardCandidate, 'pc' | 'leases'> & {
  policy: string;
  cand: Candidate;
  families: CommandFamily[];
};

/** A shard's window as it crosses: Maps as entry lists. */
export interface WireWindow {
  /** SPLIT_WIRE_VERSION of the writer. */
  wire: number;
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

/**
 * Arbiter → shard, once per window, to a shard that reported candidates: their verdicts in the
 * order judged (index: into the report's candidates) and their guardrail slices after them.
 */
export interface ShardVerdicts {
  kind: 'verdicts';
  end: number;
  lastChange: [string, number | null][];
  breakers: [string, BreakerEntry | null][];
  verdicts: { index: number; verdict: CandidateVerdict }[];
}

/**
 * Shard → arbiter, answering its verdicts: the window's commands and decisions it built,
 * hashed and signed (its own lapse and error decisions first, then one a verdict, in the order
 * judged), unsorted: the arbiter merges every shard's as the single engine orders them.
 */
export interface ShardBuilt {
  kind: 'built';
  shard: number;
  end: number;
  commands: Command[];
  decisions: Decision[];
}

/** Arbiter → shard, once per window, once every shard's records are in: what verification did to the shard's leases. */
export interface ShardSettlement {
  kind: 'settle';
  end: number;
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

export type ToArbiter = ShardReport | ShardBuilt | ControlAck;
export type ToShard = ShardVerdicts | ShardSettlement | ControlForward;

/** Why a window from the wire (a report's, or a checkpoint's) cannot be read as this version's; undefined: it can. */
export function wireRefusal(w: { wire?: unknown } | null | undefined): string | undefined {
  if (w === null || w === undefined || w.wire === SPLIT_WIRE_VERSION) return undefined;
  const v = typeof w.wire === 'number' ? w.wire : 1;
  const fix = 'every process of a split group must run one version';
  return `a shard's window of wire version ${v}, this version reads ${SPLIT_WIRE_VERSION}: ${fix}`;
}

export function toWire(w: ShardWindow): WireWindow {
  return {
    wire: SPLIT_WIRE_VERSION,
    decisions: w.decisions,
    candidates: w.candidates.map(({ pc, leases, ...rest }) => ({
      ...rest,
      policy: pc.entry.cp.name,
      cand: pc.cand,
      families: leases.map((l) => l.family),
    })),
    known: [...w.known],
    leases: { total: w.leases.total, perPolicy: [...w.leases.perPolicy], targets: [...w.leases.targets] },
  };
}

/** A shard's window as the arbiter takes it: each candidate with its policy's entry again. */
export function fromWire(setup: Setup, w: WireWindow): ShardWindow {
  return {
    decisions: w.decisions,
    candidates: w.candidates.map(({ policy, cand, families, ...rest }) => {
      const entry = setup.byName.get(policy);
      // Both sides built their Setup from one config: a name one of them lacks is a wiring bug.
      if (entry === undefined) throw new ConfigError([`decision shard: a candidate of unknown policy '${policy}'`]);
      const leases = families.map((family) => ({ policy: cand.policy, target: cand.target, family }));
      return { ...rest, leases, pc: { entry, cand } };
    }),
    known: new Map(w.known),
    leases: { total: w.leases.total, perPolicy: new Map(w.leases.perPolicy), targets: new Map(w.leases.targets) },
  };
}
