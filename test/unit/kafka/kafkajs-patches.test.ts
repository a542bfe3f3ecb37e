/**
 * The linear grouping that replaces kafkajs's quadratic one must group exactly as kafkajs does
 * (the same partitions, each with its messages in send order), and be the one kafkajs's producer
 * uses in a real Node process that loads homeostat's Kafka client.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { groupMessagesPerPartition } from '../../../src/kafka/kafkajs-patches';

// Under jest's module registry kafkajs's own module loads as it is: the reference.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsGroup = require('kafkajs/src/producer/groupMessagesPerPartition') as typeof groupMessagesPerPartition;

const ROOT = resolve(__dirname, '../../..');

/** The replaced modules' own checks, as lines of a script for `runInNode`. */
const FAST_CHECKS = [
  "const { isFastProduceRequest } = require('./src/kafka/produce-request');",
  "const { isFastRecordBatchDecoder } = require('./src/kafka/record-batch-decoder');",
  "const { isFastRequestFrame } = require('./src/kafka/request-frame');",
  "const { isFastBatch } = require('./src/kafka/fetch-batch');",
];

/** Runs `lines` in a Node process of its own from the project's root: what it wrote, parsed; nothing on stderr. */
function runInNode(lines: string[], env: NodeJS.ProcessEnv = process.env): unknown {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', lines.join('\n')], {
    cwd: ROOT,
    encoding: 'utf8',
    env,
  });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as unknown;
}

interface Msg {
  key: string;
  value: string;
  to: number;
}

describe("kafkajs's producer grouping, linear", () => {
  it('groups as kafkajs does: the same partitions in the same order, each with its messages in send order', () => {
    const msgs = fc.array(
      fc.record({ key: fc.string({ maxLength: 4 }), value: fc.string({ maxLength: 4 }), to: fc.nat(40) }),
      { maxLength: 300 },
    );
    fc.assert(
      fc.property(msgs, fc.integer({ min: 0, max: 41 }), (messages, n) => {
        const args = {
          topic: 't',
          partitionMetadata: Array.from({ length: n }, (_, i) => ({ partitionId: i })),
          messages,
          partitioner: ({ message }: { message: Msg }) => message.to % Math.max(1, n),
        };
        const ours = groupMessagesPerPartition(args);
        const theirs = kafkajsGroup(args);
        expect(Object.keys(ours)).toEqual(Object.keys(theirs));
        for (const k of Object.keys(theirs)) expect(ours[Number(k)]).toEqual(theirs[Number(k)]);
      }),
      { numRuns: 500 },
    );
  });

  it("is what kafkajs's producer calls once homeostat's Kafka client is loaded in a Node process (and the fast produce request, record batch decoder, request framing and consumer batch too)", () => {
    const script = [
      "require('./src/kafka/client');",
      "const ours = require('./src/kafka/kafkajs-patches').groupMessagesPerPartition;",
      "const used = require('kafkajs/src/producer/groupMessagesPerPartition');",
      ...FAST_CHECKS,
      // Produce v3 to v7 all encode through the v3 module (v4 to v7 require it when first used).
      "const produce = require('kafkajs/src/protocol/requests/produce/v3/request');",
      // What a fetch response decodes its batches with (fetch v4 to v11 all go through it).
      "const decoder = require('kafkajs/src/protocol/recordBatch/v0/decoder');",
      // What every connection frames its requests with.
      "const frame = require('kafkajs/src/protocol/request');",
      // What the consumer group builds each partition's fetched records into.
      "const batch = require('kafkajs/src/consumer/batch');",
      "process.stdout.write(JSON.stringify({ same: used === ours, kafkajsLoaded: !!require.cache[require.resolve('kafkajs')],",
      '  fastProduce: isFastProduceRequest(produce), fastDecode: isFastRecordBatchDecoder(decoder),',
      '  fastFrame: isFastRequestFrame(frame), fastBatch: isFastBatch(batch) }));',
    ];
    expect(runInNode(script)).toEqual({
      same: true,
      kafkajsLoaded: true,
      fastProduce: true,
      fastDecode: true,
      fastFrame: true,
      fastBatch: true,
    });
    // Switched off: kafkajs's own five modules, untouched.
    expect(runInNode(script, { ...process.env, HOMEOSTAT_KAFKAJS_PATCHES: 'off' })).toEqual({
      same: false,
      kafkajsLoaded: true,
      fastProduce: false,
      fastDecode: false,
      fastFrame: false,
      fastBatch: false,
    });
  });
});

describe('a replacement kafkajs has already bound', () => {
  it("is not put in place (the module that requires it holds kafkajs's own), and the install says so", () => {
    const script = [
      // The modules that bind the replaced ones, loaded before homeostat's patches.
      "require('kafkajs/src/network/connection');",
      "require('kafkajs/src/consumer/consumerGroup');",
      "require('kafkajs/src/protocol/requests/fetch/v4/decodeMessages');",
      "require('kafkajs/src/protocol/requests/produce/v4/request');",
      "const { installKafkajsPatches } = require('./src/kafka/kafkajs-patches');",
      ...FAST_CHECKS,
      'process.stdout.write(JSON.stringify({ installed: installKafkajsPatches(),',
      "  fastProduce: isFastProduceRequest(require('kafkajs/src/protocol/requests/produce/v3/request')),",
      "  fastDecode: isFastRecordBatchDecoder(require('kafkajs/src/protocol/recordBatch/v0/decoder')),",
      "  fastFrame: isFastRequestFrame(require('kafkajs/src/protocol/request')),",
      "  fastBatch: isFastBatch(require('kafkajs/src/consumer/batch')) }));",
    ];
    expect(runInNode(script)).toEqual({
      installed: false,
      fastProduce: false,
      fastDecode: false,
      fastFrame: false,
      fastBatch: false,
    });
  });
});

describe('every module that loads kafkajs installs the fix first', () => {
  it("imports kafkajs-patches before any import of kafkajs's values, in every file under src/", () => {
    const { readdirSync, readFileSync } = jest.requireActual<typeof import('node:fs')>('node:fs');
    const src = resolve(__dirname, '../../../src');
    const files = (readdirSync(src, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
    const late: string[] = [];
    let loaders = 0;
    for (const f of files) {
      const lines = readFileSync(resolve(src, f), 'utf8').split('\n');
      // A value import of kafkajs (type-only imports are erased and load nothing).
      const kafkajs = lines.findIndex((l) => /^import (?!type )[^;]*from 'kafkajs'/.test(l));
      if (kafkajs < 0) continue;
      loaders++;
      const patch = lines.findIndex((l) => /^import '[./]*(kafka\/)?kafkajs-patches';/.test(l));
      if (patch < 0 || patch > kafkajs) late.push(f);
    }
    expect(loaders).toBeGreaterThan(3);
    expect(late).toEqual([]);
  });
});
