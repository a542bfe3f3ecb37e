import { randomBytes } from 'node:crypto';
import {
  SNAPSHOT_CHUNK_BYTES,
  assembleSnapshot,
  chunkKey,
  isSnapshotKey,
  snapshotRecords,
} from '../../../src/kafka/snapshot-chunks';

const KEY = 'decisions/g';
const stored = (records: { key?: unknown; value?: unknown }[]): Map<string, Buffer> => {
  const m = new Map<string, Buffer>();
  for (const r of records) {
    if (r.value === null) m.delete(r.key as string);
    else m.set(r.key as string, r.value as Buffer);
  }
  return m;
};
const big = randomBytes(Math.floor(SNAPSHOT_CHUNK_BYTES * 2.5));

describe('snapshot chunks', () => {
  it('a snapshot that fits one record is written as it is', () => {
    const value = Buffer.from('{"engine":{}}');
    expect(snapshotRecords(KEY, value)).toEqual([{ key: KEY, value }]);
    expect(assembleSnapshot(KEY, stored(snapshotRecords(KEY, value)!))).toEqual({ value, chunks: 0 });
  });

  it('a larger one is split into chunks that each fit, and reassembles byte for byte', () => {
    const records = snapshotRecords(KEY, big)!;
    expect(records.map((r) => r.key)).toEqual([KEY, chunkKey(KEY, 0), chunkKey(KEY, 1), chunkKey(KEY, 2)]);
    for (const r of records) expect((r.value as Buffer).length).toBeLessThanOrEqual(SNAPSHOT_CHUNK_BYTES + 64);
    const back = assembleSnapshot(KEY, stored(records));
    expect(back).toMatchObject({ chunks: 3 });
    expect((back as { value: Buffer }).value.equals(big)).toBe(true);
  });

  it('refuses a partial set, a chunk of another snapshot, and a whole that does not match its digest', () => {
    const records = snapshotRecords(KEY, big)!;
    const partial = stored(records);
    partial.delete(chunkKey(KEY, 1));
    expect(assembleSnapshot(KEY, partial)).toMatchObject({ error: expect.stringMatching(/chunk 1 of 3 is missing/) });

    const other = snapshotRecords(KEY, randomBytes(big.length))!;
    const mixed = stored(records);
    mixed.set(chunkKey(KEY, 2), other[3].value as Buffer);
    expect(assembleSnapshot(KEY, mixed)).toMatchObject({ error: expect.stringMatching(/another snapshot/) });

    const swapped = stored(records);
    swapped.set(chunkKey(KEY, 0), records[2].value as Buffer);
    expect(assembleSnapshot(KEY, swapped)).toMatchObject({ error: expect.stringMatching(/says it is chunk 1 of 3/) });

    const tampered = stored(records);
    const c = Buffer.from(tampered.get(chunkKey(KEY, 1))!);
    c[c.length - 1] ^= 1;
    tampered.set(chunkKey(KEY, 1), c);
    expect(assembleSnapshot(KEY, tampered)).toMatchObject({ error: expect.stringMatching(/sha256/) });

    const head = Buffer.from(records[0].value as Buffer);
    head.writeUInt16BE(60_000, 4);
    expect(assembleSnapshot(KEY, stored([{ key: KEY, value: head }]))).toMatchObject({
      error: expect.stringMatching(/head names 60000 chunks/),
    });
  });

  it('tombstones the chunks a smaller snapshot no longer needs, and knows its own keys only', () => {
    const records = snapshotRecords(KEY, Buffer.from('{}'), 3)!;
    expect(records).toEqual([
      { key: KEY, value: Buffer.from('{}') },
      { key: chunkKey(KEY, 0), value: null },
      { key: chunkKey(KEY, 1), value: null },
      { key: chunkKey(KEY, 2), value: null },
    ]);
    expect(isSnapshotKey(chunkKey(KEY, 12), KEY)).toBe(true);
    expect(isSnapshotKey(`${KEY}#chunk-x`, KEY)).toBe(false);
    expect(isSnapshotKey(`${KEY}/other`, KEY)).toBe(false);
  });
});
