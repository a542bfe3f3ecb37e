/**
 * What a policy stage adds to a batch's transaction: the decision extension
 * (decide-driver.ts) puts commands, decisions and the policies' snapshot into the
 * processor's transactions (single owner) or stage two's (scaled out). Every member is
 * required: the one implementation has them all, and a driver never guesses what is missing.
 */
import type { TopicMessages } from 'kafkajs';
import type { WindowSignal } from '../model/signal';

export interface BatchExtension {
  /** Called with the final signals of a batch, in order; returns extra messages for the same transaction. */
  onFinals(finals: readonly WindowSignal[]): Promise<TopicMessages[]> | TopicMessages[];
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
