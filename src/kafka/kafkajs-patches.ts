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
 *
 * The second replacement, installed the same way: kafkajs's produce request module (v3, through
 * which produce v3–v7 encode) by produce-request.ts, which writes the same bytes at a fraction of
 * the cost per record (docs/benchmarks.md, "record-batch"). The third, on the read side: kafkajs's
 * record batch decoder (through which every fetched batch of magic 2 is decoded) by
 * record-batch-decoder.ts, the same batch objects without a BigInt-backed Long per record. The
 * fourth, every request's framing (src/protocol/request.js, which the connection requires) by
 * request-frame.ts: one buffer of the exact size instead of two power-of-two copies. The fifth,
 * the consumer's Batch (src/consumer/batch.js) by fetch-batch.ts: the same batch, its offset filter
 * without a BigInt per record. jest's registry gets all five from test/helpers/kafkajs-patches-setup.ts in the tiers that
 * talk to a broker.
 */
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { fastBatchFromKafkajs, isFastBatch } from './fetch-batch';
import { fastProduceRequestFromKafkajs, isFastProduceRequest } from './produce-request';
import { fastRecordBatchDecoderFromKafkajs, isFastRecordBatchDecoder } from './record-batch-decoder';
import { fastRequestFrameFromKafkajs, isFastRequestFrame } from './request-frame';

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

/** The kafkajs versions whose producer these replacements were checked against. */
const CHECKED_VERSIONS = /^2\.2\.\d+$/;

type ModuleCache = Record<string, NodeModule>;

/** Node's module cache when kafkajs is the checked version, else undefined (leave kafkajs as it is). */
function checkedCache(): ModuleCache | undefined {
  let version: unknown;
  try {
    version = (JSON.parse(readFileSync(require.resolve('kafkajs/package.json'), 'utf8')) as { version?: unknown })
      .version;
  } catch {
    return undefined; // kafkajs laid out otherwise
  }
  const cache = (Module as unknown as { _cache?: ModuleCache })._cache;
  return cache !== undefined && typeof version === 'string' && CHECKED_VERSIONS.test(version) ? cache : undefined;
}

/** Puts `exports` in the cache as the module at `path` (which kafkajs has not loaded yet). */
function putInCache(cache: ModuleCache, path: string, exports: unknown): void {
  const m = new Module(path) as NodeModule & { filename: string; loaded: boolean };
  m.filename = path;
  m.loaded = true;
  m.exports = exports;
  cache[path] = m;
}

function installGrouping(cache: ModuleCache): boolean {
  const groupPath = require.resolve('kafkajs/src/producer/groupMessagesPerPartition');
  const cached = cache[groupPath];
  if (cached !== undefined) return cached.exports === groupMessagesPerPartition;
  putInCache(cache, groupPath, groupMessagesPerPartition);
  return true;
}

/**
 * Puts the module `build` makes in place of kafkajs's module at `target`, unless kafkajs has
 * already loaded one of `loadedBy` (then its own is bound and the replacement would not take:
 * false). True when ours is in place, also from an earlier call.
 */
function replaceModule(
  cache: ModuleCache,
  target: string,
  loadedBy: string[],
  isOurs: (exports: unknown) => boolean,
  build: (load: (id: string) => unknown) => unknown,
): boolean {
  const path = require.resolve(target);
  const cached = cache[path];
  if (cached !== undefined && isOurs(cached.exports)) return true;
  if (loadedBy.some((id) => cache[require.resolve(id)] !== undefined)) return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ours = build((id) => require(id));
  const entry = cache[path];
  if (entry !== undefined) entry.exports = ours;
  else putInCache(cache, path, ours);
  return true;
}

/**
 * The produce request of versions 3–7 (they all encode through the v3 module, which kafkajs
 * requires when it first produces): produce-request.ts in its place, kafkajs's own kept for
 * what the fast path leaves to it. Not in place if a later version's module already holds
 * kafkajs's (a produce request was made before this ran).
 */
function installProduceRequest(cache: ModuleCache): boolean {
  const base = 'kafkajs/src/protocol/requests/produce';
  const later = [4, 5, 6, 7].map((v) => `${base}/v${v}/request`);
  return replaceModule(cache, `${base}/v3/request`, later, isFastProduceRequest, fastProduceRequestFromKafkajs);
}

/**
 * The record batch decoder (kafkajs's fetch v4+ response requires it through decodeMessages.js
 * when it first fetches): record-batch-decoder.ts in its place, kafkajs's own kept for what the
 * fast path leaves to it. Not in place if decodeMessages.js already holds kafkajs's.
 */
function installRecordBatchDecoder(cache: ModuleCache): boolean {
  return replaceModule(
    cache,
    'kafkajs/src/protocol/recordBatch/v0/decoder',
    ['kafkajs/src/protocol/requests/fetch/v4/decodeMessages'],
    isFastRecordBatchDecoder,
    fastRecordBatchDecoderFromKafkajs,
  );
}

/**
 * Every request's framing (kafkajs's connection requires it when kafkajs loads): request-frame.ts
 * in its place. Not in place if the connection module already holds kafkajs's.
 */
function installRequestFrame(cache: ModuleCache): boolean {
  return replaceModule(
    cache,
    'kafkajs/src/protocol/request',
    ['kafkajs/src/network/connection'],
    isFastRequestFrame,
    fastRequestFrameFromKafkajs,
  );
}

/**
 * The consumer's Batch (the consumer group requires it when kafkajs loads): fetch-batch.ts in its
 * place. Not in place if the consumer group module already holds kafkajs's.
 */
function installBatch(cache: ModuleCache): boolean {
  return replaceModule(
    cache,
    'kafkajs/src/consumer/batch',
    ['kafkajs/src/consumer/consumerGroup'],
    isFastBatch,
    fastBatchFromKafkajs,
  );
}

/**
 * Set to `off` in the environment to run kafkajs's own modules unchanged: the switch an operator
 * needs to rule these replacements in or out when chasing a client problem. It has to be the
 * environment, not the config file, because the replacements go in before kafkajs loads.
 */
export const KAFKAJS_PATCHES_ENV = 'HOMEOSTAT_KAFKAJS_PATCHES';

/** Whether the five replacements are in place for kafkajs (installed now, or before). */
export function installKafkajsPatches(): boolean {
  if (process.env[KAFKAJS_PATCHES_ENV] === 'off') return false;
  const cache = checkedCache();
  if (cache === undefined) return false;
  try {
    const grouping = installGrouping(cache);
    const produce = installProduceRequest(cache);
    const framing = installRequestFrame(cache);
    const batch = installBatch(cache);
    return installRecordBatchDecoder(cache) && produce && grouping && framing && batch;
  } catch {
    return false; // a kafkajs module not where 2.2.x has it: leave kafkajs as it is
  }
}

installKafkajsPatches();
