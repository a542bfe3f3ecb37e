/**
 * A decision shard's checkpoint on the state topic: written as the policies' snapshot is
 * (chunked when large) with its small rest beside it, read back whole; refused, never
 * thrown, when written for another shard count or when a chunk is missing.
 */
import type { Message } from 'kafkajs';
import { checkpointRecords, ownsCheckpointKey, readCheckpoint } from '../../../src/kafka/split-checkpoint';
import { SPLIT_WIRE_VERSION } from '../../../src/pipeline/split-protocol';
import type { SplitShardCheckpoint } from '../../../src/pipeline/split-shard';

const KEY = 'split/g/shard-1';
const MAX = 512 * 2 ** 20;

function checkpoint(targets: number): SplitShardCheckpoint {
  const table: Record<string, unknown> = {};
  // Random-looking values: they do not compress away, so a large table needs chunks.
  for (let i = 0; i < targets; i++)
    table[`w${i}`] = { streak: { over: i % 7, calm: (i * 7919) % 13 }, v: (i * 2654435761) % 1e9 };
  return {
    state: {
      windowMs: 10_000,
      lastEventTime: 1_767_225_610_000,
      policies: { at: { targets: table } },
      guard: {
        control: { killed: false, paused: {}, excluded: {}, modes: {}, excludedCount: 0, lastIssuedAt: 0 },
        lastChange: {},
        breakers: {},
        buckets: {},
      },
      leases: {},
    },
    windowMs: 10_000,
    pending: ['w3'],
    awaiting: 1_767_225_610_000,
    building: null,
    controls: 2,
  };
}

/** The newest value of each key, as a read of the compacted topic gives them. */
function stored(...writes: Message[][]): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const w of writes)
    for (const r of w) {
      if (r.value === null || r.value === undefined) m.delete(String(r.key));
      else m.set(String(r.key), r.value as Buffer);
    }
  return m;
}

test('a checkpoint comes back as it went, in one record or in chunks, and a smaller one tombstones the chunks', () => {
  const o = { inForce: 0, metaInForce: 0, maxInflatedBytes: MAX };
  for (const n of [10, 200_000]) {
    const cp = checkpoint(n);
    const records = checkpointRecords(KEY, 2, cp, o);
    expect(records.every((r) => ownsCheckpointKey(String(r.key), KEY))).toBe(true);
    const back = readCheckpoint(KEY, 2, stored(records), MAX);
    expect(back && 'checkpoint' in back ? back.checkpoint : back).toEqual(cp);
  }
  expect(o.inForce).toBeGreaterThan(1);
  const big = checkpointRecords(KEY, 2, checkpoint(200_000), { inForce: 0, metaInForce: 0, maxInflatedBytes: MAX });
  const small = checkpointRecords(KEY, 2, checkpoint(10), {
    inForce: o.inForce,
    metaInForce: o.metaInForce,
    maxInflatedBytes: MAX,
  });
  expect(small.filter((r) => r.value === null).length).toBe(o.inForce);
  const back = readCheckpoint(KEY, 2, stored(big, small), MAX);
  expect(back && 'checkpoint' in back ? back.checkpoint : back).toEqual(checkpoint(10));
});

test('another shard count, a missing chunk or no checkpoint: refused or none, never thrown', () => {
  const records = checkpointRecords(KEY, 2, checkpoint(200_000), { inForce: 0, metaInForce: 0, maxInflatedBytes: MAX });
  expect(readCheckpoint(KEY, 3, stored(records), MAX)).toMatchObject({
    error: expect.stringMatching(/2 decision shards, not 3/),
  });
  const partial = stored(records);
  partial.delete(`${KEY}#chunk-1`);
  expect(readCheckpoint(KEY, 2, partial, MAX)).toMatchObject({ error: expect.stringMatching(/chunk 1 .* missing/) });
  expect(readCheckpoint(KEY, 2, new Map(), MAX)).toBeUndefined();
  expect(() =>
    checkpointRecords(KEY, 2, checkpoint(10), { inForce: 0, metaInForce: 0, maxInflatedBytes: 100 }),
  ).toThrow(/snapshotMaxMiB/);
});

test('the window a shard builds from, larger than a record, is written in chunks beside the snapshot and read back whole', () => {
  const cp = checkpoint(10);
  // Candidates' JSON past one record (their shape is the shard's own; the checkpoint only carries them).
  const candidates = [...Array(3000).keys()].map((i) => ({ target: `w${i}`, policy: 'at', note: 'y'.repeat(900) }));
  const wide: SplitShardCheckpoint = {
    ...cp,
    building: {
      eventTime: 1,
      windowMs: 10_000,
      window: {
        wire: SPLIT_WIRE_VERSION,
        decisions: [],
        candidates,
        known: [],
        leases: { total: 0, perPolicy: [], targets: [] },
      },
    } as never,
  };
  const o = { inForce: 0, metaInForce: 0, maxInflatedBytes: MAX };
  const records = checkpointRecords(KEY, 2, wide, o);
  expect(o.metaInForce).toBe(3);
  expect(records.map((r) => String(r.key)).filter((k) => k.startsWith(`${KEY}/meta`))).toEqual([
    `${KEY}/meta`,
    `${KEY}/meta#chunk-0`,
    `${KEY}/meta#chunk-1`,
    `${KEY}/meta#chunk-2`,
  ]);
  expect(records.every((r) => ownsCheckpointKey(String(r.key), KEY))).toBe(true);
  const back = readCheckpoint(KEY, 2, stored(records), MAX);
  expect(back).toMatchObject({ inForce: 0, metaInForce: 3 });
  expect(back && 'checkpoint' in back ? back.checkpoint : back).toEqual(wide);
  // The next, without a window in hand: one record, the chunks tombstoned.
  const next = checkpointRecords(KEY, 2, cp, o);
  expect(next.filter((r) => r.value === null).map((r) => String(r.key))).toEqual(
    [0, 1, 2].map((i) => `${KEY}/meta#chunk-${i}`),
  );
  const after = readCheckpoint(KEY, 2, stored(records, next), MAX);
  expect(after && 'checkpoint' in after ? after.checkpoint : after).toEqual(cp);
  // A missing chunk of the window: refused, never thrown.
  const partial = stored(records);
  partial.delete(`${KEY}/meta#chunk-1`);
  expect(readCheckpoint(KEY, 2, partial, MAX)).toMatchObject({ error: expect.stringMatching(/chunk 1 .* missing/) });
});
