/**
 * A fix to kafkajs, installed before kafkajs loads: its producer groups a send's messages by
 * partition with `[...current, message]` for every message (src/producer/groupMessagesPerPartition.js),
 * which copies a partition's list once per message: quadratic in the messages a send holds for
 * one partition. On kafkajs 2.2.4 (the pinned version; bench/producer-grouping.ts, docs/benchmarks.md
 * "The fleet shape"): 10,000 messages to 3 partitions took 55 ms and 100,000 to one partition 83 s —
 * and a transaction of homeostat writes a window's final signals in one send (a fleet of 100k series
 * reporting once a window closes them all at once; the stage topic of a scaled-out group has one
 * partition). Upstream has the same fix
 * as an open pull request (tulios/kafkajs#1576).
 *
 * `groupMessagesPerPartition` is the same function in one pass: each message's partition from the
 * partitioner, in message order, one list per partition. The module is put in Node's require cache
 * under kafkajs's own path before kafkajs is first required, so that kafkajs's `sendMessages`
 * takes it; every module of homeostat that loads kafkajs imports this one first. Where kafkajs is
 * already loaded (or under a module system that does not use Node's cache, like jest's), nothing
 * changes and kafkajs's own grouping runs: slower for large sends, the same records.
 */
import { readFileSync } from 'node:fs';
import Module from 'node:module';

interface GroupArgs<M> {
  topic: string;
  partitionMetadata: readonly unknown[];
  messages: readonly M[];
  partitioner: (args: { topic: string; partitionMetadata: readonly unknown[]; message: M }) => number;
}

/** kafkajs's groupMessagesPerPartition, linear: partition → that partition's messages in send order. */
export function groupMessagesPerPartition<M>(args: GroupArgs<M>): Record<number, M[]> {
  const { topic, partitionMetadata, messages, partitioner } = args;
  const result: Record<number, M[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    const current = result[partition];
    if (current === undefined) result[partition] = [message];
    else current.push(message);
  }
  return result;
}

/** The kafkajs versions whose producer this replacement was checked against. */
const CHECKED_VERSIONS = /^2\.2\.\d+$/;

/** Whether the linear grouping is in place for kafkajs (installed now, or before). */
export function installKafkajsPatches(): boolean {
  let groupPath: string;
  let version: unknown;
  try {
    groupPath = require.resolve('kafkajs/src/producer/groupMessagesPerPartition');
    version = (JSON.parse(readFileSync(require.resolve('kafkajs/package.json'), 'utf8')) as { version?: unknown })
      .version;
  } catch {
    return false; // kafkajs laid out otherwise: leave it as it is
  }
  const cache = (Module as unknown as { _cache?: Record<string, NodeModule> })._cache;
  if (cache === undefined || typeof version !== 'string' || !CHECKED_VERSIONS.test(version)) return false;
  const cached = cache[groupPath];
  if (cached !== undefined) return cached.exports === groupMessagesPerPartition;
  const m = new Module(groupPath) as NodeModule & { filename: string; loaded: boolean };
  m.filename = groupPath;
  m.loaded = true;
  m.exports = groupMessagesPerPartition;
  cache[groupPath] = m;
  return true;
}

installKafkajsPatches();
