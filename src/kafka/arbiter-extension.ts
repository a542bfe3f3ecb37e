/**
 * The arbiter of a split stage two in stage two's driver (runner.decisionShards,
 * docs/scale-out.md "The Kafka wiring"): one process of the group at a time reads the arbiter's
 * topic — the shards' reports, their built records and control acks. Once every shard's report
 * of a window is in, it writes in one transaction the verdicts for each shard on its topic, its
 * checkpoint and the topic's offset; once every shard's records are in, in another, the
 * window's commands, decisions and outcomes, each shard's settlement, its checkpoint and the
 * offset. Operators' control records
 * reach it from the control reader (applyControl): applied to its replica, forwarded to every
 * shard, their decisions written when every shard's ack is in.
 */
import type { KafkaMessage, Message, TopicMessages } from 'kafkajs';
import type { SchemaResolver } from '../codec';
import type { ControlRecord } from '../guardrails/control';
import type { Command } from '../model/command';
import type { Decision } from '../model/decision';
import type { DecideOutputs } from '../pipeline/decide';
import { createSplitArbiter, type ArbiterSettled, type SplitArbiterOptions } from '../pipeline/split-arbiter';
import type { ToShard } from '../pipeline/split-protocol';
import type { Logger } from '../ops/logger';
import type { HomeostatMetrics } from '../ops/metrics';
import type { BatchExtension } from './batch-extension';
import { arbiterCheckpointRecords, ownsArbiterKey, readArbiterCheckpoint } from './arbiter-checkpoint';
import { controlKey } from './control-reader';
import { createOutputEncoder, type OutputFormat } from './outputs';
import { createSplitReassembly } from './split-chunks';
import { readSplitRecord, splitRecords } from './split-records';
import type { SplitWork } from './shard-extension';
import { createSplitRefusals, type SplitDlq } from './split-refusals';

export interface ArbiterExtensionOptions extends SplitArbiterOptions {
  /** Each shard's topic, by shard. */
  shardTopics: readonly string[];
  topics: { actions: string; decisions: string; outcomes: string; state: string };
  format: OutputFormat;
  resolver?: SchemaResolver;
  stateKey: string;
  /**
   * Where a record of the arbiter's topic it refuses goes (unreadable, a shard it does not have,
   * a window other than the one open), with the reason: never read again for ever.
   */
  dlq: SplitDlq;
  logger: Logger;
  metrics?: HomeostatMetrics;
  /** Observes each window's commands and decisions (as the decision extension's onOutputs); a throw is logged. */
  onOutputs?(finals: readonly [], commands: readonly Command[], decisions: readonly Decision[]): void;
}

export interface ArbiterExtension extends BatchExtension {
  applyControl(record: ControlRecord): void;
  /** Records of its topic it dead-lettered (refused), in this process. */
  refused(): number;
  /** The arbiter's judging, merging and verification in this process (the driver's Kafka work aside). */
  work(): SplitWork;
}

/** What the arbiter writes in its next transaction, and whether there is any. */
async function createOutbox(o: ArbiterExtensionOptions) {
  const enc = {
    actions: await createOutputEncoder('command', o.topics.actions, o.format, o.resolver),
    decisions: await createOutputEncoder('decision', o.topics.decisions, o.format, o.resolver),
    outcomes: await createOutputEncoder('outcome', o.topics.outcomes, o.format, o.resolver),
  };
  let messages: TopicMessages[] = [];
  let dirty = false;
  const decisions = (list: readonly Decision[]): void => {
    if (list.length === 0) return;
    for (const d of list) o.metrics?.decisions.inc({ policy: d.policy, mode: d.mode, kind: d.kind });
    messages.push({ topic: o.topics.decisions, messages: list.map((d) => enc.decisions.message(d.target, d)) });
    dirty = true;
  };
  return {
    dirty: () => dirty,
    touch: () => {
      dirty = true;
    },
    toShards(per: (shard: number) => ToShard | undefined): void {
      o.shardTopics.forEach((topic, shard) => {
        const m = per(shard);
        if (m) messages.push({ topic, messages: splitRecords(m, 'arbiter') });
      });
      dirty = true;
    },
    decisions,
    dead(m: Message): void {
      messages.push({ topic: o.dlq.topic, messages: [m] });
      dirty = true;
    },
    outputs(out: DecideOutputs): void {
      if (out.commands.length > 0) {
        messages.push({ topic: o.topics.actions, messages: out.commands.map((c) => enc.actions.message(c.target, c)) });
        for (const c of out.commands) o.metrics?.commands.inc({ policy: c.policy, type: c.type, mode: c.mode });
      }
      if (out.outcomes && out.outcomes.length > 0)
        messages.push({
          topic: o.topics.outcomes,
          messages: out.outcomes.map((r) => enc.outcomes.message(r.target, r)),
        });
      decisions(out.decisions);
      try {
        o.onOutputs?.([], out.commands, out.decisions);
      } catch (err) {
        o.logger.warn({ err }, 'an onOutputs observer failed; the window carries on');
      }
    },
    /** Everything waiting, then `last`; nothing waits after. */
    take(last: TopicMessages): TopicMessages[] {
      const out = [...messages, last];
      messages = [];
      dirty = false;
      return out;
    },
  };
}

export async function createArbiterExtension(o: ArbiterExtensionOptions): Promise<ArbiterExtension> {
  const box = await createOutbox(o);
  let arbiter = createSplitArbiter(o);
  const work: SplitWork = { windows: 0, ms: 0 };
  /** The newest control record per key, in the order applied: re-applied after a reset (decide-driver.ts does the same). */
  const controls = new Map<string, ControlRecord>();
  const refusals = createSplitRefusals({ ...o, part: 'arbiter', what: 'arbiter' });
  /** The shards' chunked messages being put back together (theirs interleave on the topic). */
  const assembly = createSplitReassembly();
  /** A record it cannot take goes to the DLQ with why, in the transaction that moves past it. */
  const refuse = (m: KafkaMessage, reason: string): true => {
    box.dead(refusals.refuse(m, reason));
    return true;
  };

  const apply = (record: ControlRecord, replayed: boolean): void => {
    const r = arbiter.control(record);
    if (r.refused !== undefined) {
      if (!replayed) o.logger.warn({ control: record, reason: r.refused }, `control: ${record.kind} refused`);
      return;
    }
    const forward = r.forward;
    if (forward === undefined) return;
    if (!replayed) o.logger.info({ control: record }, `control: ${record.kind} applied`);
    box.toShards(() => forward);
  };
  /** A window every shard built: its outputs, and each shard's settlement. */
  const settle = (done: ArbiterSettled | null): void => {
    if (done === null) return;
    work.windows++;
    box.outputs(done.out);
    box.toShards((shard) => done.settlements[shard]);
  };
  /** Chunks of the checkpoint last written or read (a smaller one tombstones the rest). */
  const chunks = { inForce: 0 };
  const take = (): TopicMessages[] => {
    const messages = arbiterCheckpointRecords(o.stateKey, o.plan.shards, arbiter.checkpoint(), chunks);
    return box.take({ topic: o.topics.state, messages });
  };

  return {
    onFinals: () => take(),
    hasPending: box.dirty,
    takePending: take,
    reset: () => Promise.reject(new Error('arbiter: reset through resetFrom (stage two reads the state topic)')),
    stateKey: o.stateKey,
    ownsKey: (k) => ownsArbiterKey(k, o.stateKey),
    resetFrom(stored) {
      arbiter = createSplitArbiter(o);
      box.take({ topic: o.topics.state, messages: [] });
      assembly.clear();
      const read = readArbiterCheckpoint(o.stateKey, o.plan.shards, stored);
      chunks.inForce = read?.chunks ?? 0;
      if (read !== undefined && 'error' in read)
        o.logger.error({ key: o.stateKey, reason: read.error }, 'arbiter: refused its checkpoint; starting afresh');
      else if (read !== undefined) {
        try {
          arbiter.restore(read.checkpoint);
        } catch (err) {
          o.logger.error({ err, key: o.stateKey }, 'arbiter: its checkpoint cannot be restored; starting afresh');
          arbiter = createSplitArbiter(o);
        }
      }
      for (const r of controls.values()) apply(r, true);
    },
    onRecord(m, restoring) {
      const read = readSplitRecord(assembly, m, ['report', 'built', 'control-ack'], restoring);
      if (read === undefined) return false;
      for (const x of read.refused) refuse(x.record, x.reason);
      if (read.message === undefined) return true;
      const { record, decoded: r } = read.message;
      if ('error' in r) return refuse(record, r.error);
      if (r.kind === 'control-ack') {
        if (r.shard >= o.plan.shards) return refuse(record, `an ack from shard ${r.shard}, of ${o.plan.shards}`);
        const done = arbiter.ack(r);
        if (done) box.decisions(done);
        box.touch();
        return true;
      }
      const began = performance.now();
      const why = arbiter.refuses(r);
      if (why !== undefined) return refuse(record, why);
      box.touch();
      if (r.kind === 'built') {
        settle(arbiter.built(r));
      } else {
        const races = arbiter.counters().controlRaces;
        const judged = arbiter.report(r);
        if (arbiter.counters().controlRaces > races) o.metrics?.splitControlRaces.inc();
        if (judged !== null) {
          box.toShards((shard) => judged.verdicts[shard] ?? undefined);
          settle(judged.settled);
        }
      }
      work.ms += performance.now() - began;
      return true;
    },
    heldFrom: () => assembly.heldFrom(),
    applyControl(record) {
      apply(record, false);
      const key = controlKey(record);
      controls.delete(key);
      controls.set(key, record);
    },
    work: () => ({ ...work }),
    refused: refusals.count,
  };
}
