/**
 * What a policy stage adds to a batch's transaction: the decision extension
 * (decide-driver.ts) puts commands, decisions and the policies' snapshot into the
 * processor's transactions (single owner) or stage two's (scaled out). Every member is
 * required: the one implementation has them all, and a driver never guesses what is missing.
 */
import type { KafkaMessage, TopicMessages } from 'kafkajs';
import type { WindowSignal } from '../model/signal';
import type { WindowSummary } from '../pipeline/gather';

export interface BatchExtension {
  /** Called with the final signals of a batch, in order; returns extra messages for the same transaction. */
  onFinals(
    finals: readonly WindowSignal[],
    windows?: readonly WindowSummary[],
  ): Promise<TopicMessages[]> | TopicMessages[];
  /** True when the extension has output to write even without new input (e.g. control decisions). */
  hasPending(): boolean;
  /** That output, for a transaction of its own. */
  takePending(): TopicMessages[];
  /** Forget uncommitted state (after a failed batch) and reload from the last commit. */
  reset(): Promise<void>;
  /** The key of its state on the state topic, so that a reset reads the topic once for all (resetFrom). */
  readonly stateKey: string;
  /** Whether a state-topic key holds part of its state (the key, and the chunks of a large snapshot). */
  ownsKey(key: string): boolean;
  /** `reset` with its state-topic records already read (the newest value of every key it owns). */
  resetFrom(stored: ReadonlyMap<string, Buffer>): void;
  /**
   * Split stage two only: a record of stage two's topic that is not a stage signal or mark (a
   * settlement, a control record forwarded, a shard's report); true when it is the extension's.
   * `restoring`: handled before the last reset (its effect is in the restored state).
   */
  onRecord?(m: KafkaMessage, restoring: boolean): boolean;
  /**
   * Split stage two only: the offset of the first chunk of the oldest message it holds
   * incomplete (split-chunks.ts), undefined when none. The committed offset stays at or below
   * it, so that a restart reads the whole message again and never begins mid-set.
   */
  heldFrom?(): string | undefined;
  /** While true, stage two releases no further window (a decision shard awaiting its settlement). */
  holds?(): boolean;
  /** Whether stage two publishes this signal (a split stage two's shards publish each signal once between them). */
  publishes?(s: WindowSignal): boolean;
}

/**
 * Resets an extension from a read of the state topic its caller made anyway: each read of
 * the topic joins a consumer group of its own, which a broker delays by
 * group.initial.rebalance.delay.ms (3 s by default), so the extension does not read its own.
 */
export function resetExtension(ext: BatchExtension | undefined, stored: ReadonlyMap<string, Buffer>): Promise<void> {
  ext?.resetFrom(stored);
  return Promise.resolve();
}
