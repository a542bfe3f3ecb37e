/**
 * Puts the decision stage into the runner's transactions: commands to the actions topic,
 * decisions to the decisions topic, and a snapshot of the policies' state to a compacted
 * state topic, all committed atomically with the consumed offsets. After a crash the
 * snapshot and the offsets agree, so a restarted processor decides as if it never stopped
 * and never issues a command id twice.
 */
import type { TopicMessages } from 'kafkajs';
import type { KafkaPort } from './port';
import { describeError } from '../errors';
import type { SchemaResolver } from '../codec';
import type { Logger } from '../ops/logger';
import type { HomeostatMetrics } from '../ops/metrics';
import type { DecideOutputs, DecisionStage } from '../pipeline/decide';
import type { ControlRecord } from '../guardrails/control';
import type { Decision } from '../model/decision';
import type { WindowSignal } from '../model/signal';
import type { Command } from '../model/command';
import { createOutputEncoder, type OutputEncoder, type OutputFormat } from './outputs';
import { readCompacted } from './state-topic';
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_MAX_INFLATED_BYTES } from './policy-snapshot';
import { assembleSnapshot, chunkCount, isSnapshotKey, snapshotRecords, SNAPSHOT_MAX_CHUNKS } from './snapshot-chunks';
import { controlKey } from './control-reader';
import type { BatchExtension } from './batch-extension';
import { createKafka } from './client';
import type { HomeostatConfig } from '../config/homeostat-config';

export interface DecisionExtensionOptions {
  kafka: KafkaPort;
  stage: DecisionStage;
  topics: { actions: string; decisions: string; state: string; outcomes: string };
  format: OutputFormat;
  resolver?: SchemaResolver;
  /** Key of the snapshot on the state topic (one per consumer group). */
  stateKey: string;
  /**
   * Most bytes the snapshot may inflate to (`runner.snapshotMaxMiB`; default
   * SNAPSHOT_MAX_INFLATED_BYTES): a stored one past it is refused, and a state past it is not
   * written (it could not be read back).
   */
  maxSnapshotBytes?: number;
  logger: Logger;
  metrics?: HomeostatMetrics;
  /**
   * Observes what each transaction writes (e.g. the live dashboard): the batch's final
   * signals, its commands, and its decisions (control decisions included). Called before the
   * transaction commits: a batch that aborts is replayed after the reset with the same ids,
   * so an observer must apply outputs idempotently. A throw is logged and ignored — an
   * observer cannot fail a batch.
   */
  onOutputs?(finals: readonly WindowSignal[], commands: readonly Command[], decisions: readonly Decision[]): void;
}

export interface DecisionExtension extends BatchExtension {
  restore(): Promise<void>;
  /** Applies an operator's control record now; its decisions go out with the next transaction. */
  applyControl(record: ControlRecord): void;
}

/** The encoders of the extension's three output topics. */
interface DecideEncoders {
  actions: OutputEncoder<'command'>;
  decisions: OutputEncoder<'decision'>;
  outcomes: OutputEncoder<'outcome'>;
}

export async function createDecisionExtension(o: DecisionExtensionOptions): Promise<DecisionExtension> {
  const enc: DecideEncoders = {
    actions: await createOutputEncoder('command', o.topics.actions, o.format, o.resolver),
    decisions: await createOutputEncoder('decision', o.topics.decisions, o.format, o.resolver),
    outcomes: await createOutputEncoder('outcome', o.topics.outcomes, o.format, o.resolver),
  };
  /** Decisions caused by control records, waiting for the next transaction. */
  let pending: Decision[] = [];
  let dirty = false;
  /**
   * The newest control record applied per compaction key, in the order applied (what the
   * compacted topic keeps, so bounded as it is). A reset restores the last committed
   * snapshot, which may predate some of them (read while this process stood by, or after the
   * owner's last commit): they are applied again, and only what the snapshot lacks is news.
   */
  const controls = new Map<string, ControlRecord>();

  /** Applies a record; its decisions wait for the next transaction. */
  const apply = (record: ControlRecord, replayed: boolean): ControlResult => {
    const applied = applyControlRecord(o, record, replayed);
    if (applied.result === 'applied') {
      pending.push(...applied.decisions);
      dirty = true;
    }
    return applied.result;
  };

  /** Chunks of the snapshot last written or read, so that a smaller one tombstones the rest. */
  const chunks = { inForce: 0 };
  const resetFrom = (stored: ReadonlyMap<string, Buffer>): void => {
    pending = [];
    dirty = false;
    chunks.inForce = restorePolicies(o, stored);
    for (const r of controls.values()) apply(r, true);
  };
  const readSnapshot = () => readCompacted(o.kafka, o.topics.state, (k) => isSnapshotKey(k, o.stateKey));

  /** The decisions waiting, and none after: they go out with the transaction being built. */
  const takeDecisions = (): Decision[] => {
    const taken = pending;
    pending = [];
    dirty = false;
    return taken;
  };

  return {
    restore: async () => {
      chunks.inForce = restorePolicies(o, await readSnapshot());
    },
    applyControl(record) {
      const result = apply(record, false);
      o.metrics?.controlRecords.inc({ result });
      if (result === 'refused') return;
      const key = controlKey(record);
      controls.delete(key);
      controls.set(key, record);
    },
    hasPending: () => dirty,
    takePending() {
      const messages: TopicMessages[] = [];
      const taken = takeDecisions();
      if (taken.length > 0) {
        observe(o, [], [], taken);
        messages.push(decisionMessages(o, enc, taken));
      }
      messages.push(...snapshotMessages(o, chunks));
      return messages;
    },
    async reset() {
      resetFrom(await readSnapshot());
    },
    stateKey: o.stateKey,
    ownsKey: (k) => isSnapshotKey(k, o.stateKey),
    resetFrom,
    onFinals: (finals) => finalsMessages(o, enc, finals, takeDecisions(), chunks),
  };
}

/**
 * The policies' state from the snapshot's records on the state topic (its head and chunks); a
 * fresh state when there is none, or a refused one. Returns how many chunk keys are in force.
 */
function restorePolicies(o: DecisionExtensionOptions, stored: ReadonlyMap<string, Buffer>): number {
  const assembled = assembleSnapshot(o.stateKey, stored);
  const snapshot = 'value' in assembled ? assembled.value : undefined;
  const decoded =
    'error' in assembled ? assembled : snapshot ? decodeSnapshot(snapshot, maxSnapshotBytes(o)) : undefined;
  if (decoded && 'state' in decoded) {
    o.stage.restore(decoded.state);
    o.logger.info(
      { topic: o.topics.state, key: o.stateKey },
      'restored the policies state from the last committed snapshot',
    );
    return assembled.chunks;
  }
  if (decoded) {
    o.logger.error(
      { topic: o.topics.state, key: o.stateKey, bytes: snapshot?.length, reason: decoded.error },
      "refused the policies' snapshot on the state topic: starting from a fresh state " +
        '(leases in force lapse on the executors and revert); check who can write the state topic',
    );
  }
  o.stage.restore({ engine: o.stage.engine.init(), verifier: null });
  return assembled.chunks;
}

/** A batch's final signals through the policies: commands, outcomes, decisions (`waiting` first) and the snapshot. */
function finalsMessages(
  o: DecisionExtensionOptions,
  enc: DecideEncoders,
  finals: readonly WindowSignal[],
  waiting: Decision[],
  chunks: { inForce: number },
): TopicMessages[] {
  const out: DecideOutputs = { commands: [], decisions: [] };
  o.stage.onFinals(finals, out);
  const messages: TopicMessages[] = [];
  if (out.commands.length > 0) {
    messages.push({ topic: o.topics.actions, messages: out.commands.map((c) => enc.actions.message(c.target, c)) });
    for (const c of out.commands) o.metrics?.commands.inc({ policy: c.policy, type: c.type, mode: c.mode });
  }
  if (out.outcomes && out.outcomes.length > 0) {
    messages.push({ topic: o.topics.outcomes, messages: out.outcomes.map((r) => enc.outcomes.message(r.target, r)) });
  }
  const all = waiting.length > 0 ? [...waiting, ...out.decisions] : out.decisions;
  observe(o, finals, out.commands, all);
  const leases = o.stage.state().engine.leases;
  const perPolicy = new Map<string, number>();
  for (const l of Object.values(leases)) perPolicy.set(l.policy, (perPolicy.get(l.policy) ?? 0) + 1);
  for (const p of o.stage.engine.policies) o.metrics?.leasesActive.set({ policy: p.name }, perPolicy.get(p.name) ?? 0);
  if (all.length > 0) messages.push(decisionMessages(o, enc, all));
  messages.push(...snapshotMessages(o, chunks));
  return messages;
}

function decisionMessages(o: DecisionExtensionOptions, enc: DecideEncoders, list: Decision[]): TopicMessages {
  for (const d of list) {
    o.metrics?.decisions.inc({ policy: d.policy, mode: d.mode, kind: d.kind });
    if (d.guardrail) o.metrics?.guardrailBlocks.inc({ policy: d.policy, guardrail: d.guardrail });
  }
  return { topic: o.topics.decisions, messages: list.map((d) => enc.decisions.message(d.target, d)) };
}

/** Tells the observer what a transaction writes; an observer that throws cannot fail the batch. */
function observe(
  o: DecisionExtensionOptions,
  finals: readonly WindowSignal[],
  commands: readonly Command[],
  list: readonly Decision[],
): void {
  if (!o.onOutputs) return;
  try {
    o.onOutputs(finals, commands, list);
  } catch (err) {
    o.logger.warn({ err }, 'an onOutputs observer failed; the batch carries on');
  }
}

const maxSnapshotBytes = (o: DecisionExtensionOptions): number => o.maxSnapshotBytes ?? SNAPSHOT_MAX_INFLATED_BYTES;

/**
 * The snapshot's records for this transaction, split into chunks when one record cannot hold it
 * (snapshot-chunks.ts). None (logged) when it could not be read back — past SNAPSHOT_MAX_CHUNKS,
 * or inflating past the readers' bound — or not encoded at all: a restart then resumes from the
 * last one written, and the batch still commits (a throw here would abort it for ever).
 */
function snapshotMessages(o: DecisionExtensionOptions, chunks: { inForce: number }): TopicMessages[] {
  const smaller = 'lower guardrails.maxActiveLeases or the number of targets';
  const notWritten = (fields: Record<string, unknown>, why: string, fix = smaller): TopicMessages[] => {
    o.logger.error(
      { topic: o.topics.state, key: o.stateKey, ...fields },
      `the policies' snapshot ${why} and is not written: a restart would start from the last one written; ${fix}`,
    );
    return [];
  };
  let enc: ReturnType<typeof encodeSnapshot>;
  try {
    enc = encodeSnapshot(o.stage.state());
  } catch (err) {
    return notWritten(
      { err: describeError(err) },
      'cannot be encoded',
      `a policy's state is not plain JSON, or ${smaller}`,
    );
  }
  const max = maxSnapshotBytes(o);
  if (enc.inflatedBytes > max)
    return notWritten(
      { inflated: enc.inflatedBytes, max },
      `inflates to more than ${max} bytes (runner.snapshotMaxMiB)`,
      `raise runner.snapshotMaxMiB (at most 4096), or ${smaller}`,
    );
  const records = snapshotRecords(o.stateKey, enc.value, chunks.inForce);
  if (records === undefined)
    return notWritten({ bytes: enc.value.length }, `needs more than ${SNAPSHOT_MAX_CHUNKS} chunks`);
  // Counted as written now: a transaction that aborts is read again and rewrites them.
  chunks.inForce = chunkCount(records);
  return [{ topic: o.topics.state, messages: records }];
}

type ControlResult = 'applied' | 'unchanged' | 'refused';

/**
 * Applies a control record to the policies' state; says whether it changed the state, with
 * the decisions it caused. Re-reading the compacted topic after a restart repeats what is in
 * force: only a change is news.
 */
function applyControlRecord(
  o: DecisionExtensionOptions,
  record: ControlRecord,
  replayed: boolean,
): { result: ControlResult; decisions: Decision[] } {
  const before = o.stage.state().engine.guard.control;
  const out: DecideOutputs = { commands: [], decisions: [] };
  const refused = o.stage.onControl(record, out);
  if (refused !== undefined) {
    if (!replayed) {
      const { kind, policy, target, issuedBy, issuedAt } = record;
      o.logger.warn(
        { control: { kind, policy, target, issuedBy, issuedAt }, reason: refused },
        `control: ${kind} refused`,
      );
    }
    return { result: 'refused', decisions: [] };
  }
  if (o.stage.state().engine.guard.control === before) return { result: 'unchanged', decisions: [] };
  if (!replayed) o.logger.info({ control: record }, `control: ${record.kind} applied`);
  return { result: 'applied', decisions: out.decisions };
}

/**
 * The extension as `homeostat run` builds it from a config: its output topics and format, and
 * one policy snapshot per consumer group (one process of a group works at a time — the
 * single-owner assigner — so a standby that takes over continues from the owner's state).
 */
export function createConfiguredDecisionExtension(
  config: Pick<HomeostatConfig, 'kafka' | 'topics' | 'actions' | 'runner'>,
  o: Pick<DecisionExtensionOptions, 'stage' | 'resolver' | 'logger' | 'metrics' | 'onOutputs'>,
): Promise<DecisionExtension> {
  return createDecisionExtension({
    ...o,
    kafka: createKafka(config.kafka, o.logger),
    topics: {
      actions: config.topics.actions,
      decisions: config.topics.decisions,
      state: config.topics.state,
      outcomes: config.topics.outcomes,
    },
    format: config.actions.format,
    stateKey: `decisions/${config.kafka.groupId}`,
    maxSnapshotBytes: config.runner.snapshotMaxMiB * 2 ** 20,
  });
}
