/**
 * A split stage two's messages larger than one record: written as chunks (split-records.ts),
 * put back together by the reader (split-chunks.ts) — round trip, writers interleaved, every
 * refusal with its reason, the bounds, and a restart that resumes from `heldFrom`.
 */
import type { KafkaMessage } from 'kafkajs';
import { chunkFrames, readChunkFrame } from '../../../src/kafka/chunk-frames';
import {
  createSplitReassembly,
  MAX_SPLIT_CHUNKS,
  SPLIT_BOUNDS,
  SPLIT_CHUNK_BYTES,
  type SplitBounds,
  type TakenSplitRecord,
} from '../../../src/kafka/split-chunks';
import { decodeSplitRecord, MAX_SPLIT_RECORD_BYTES, splitRecords } from '../../../src/kafka/split-records';
import { STAGE_KIND_HEADER } from '../../../src/kafka/stage-records';
import type { ShardBuilt } from '../../../src/pipeline/split-protocol';
import { BROKER_DEFAULT_MAX_MESSAGE_BYTES, messageBytes } from '../../../src/kafka/output-guard';

/** Built records of `commands` commands whose ids carry `tag`: about 1 KB of JSON each. */
function built(shard: number, commands: number, tag = 'a'): ShardBuilt {
  const cmd = (i: number) => ({ id: `${tag}-${i}`, target: `worker-${i}`, reason: 'x'.repeat(900) });
  return { kind: 'built', shard, end: 1000, commands: [...Array(commands).keys()].map(cmd), decisions: [] } as never;
}

/** A topic's reader: offsets in the order given. */
function topic() {
  let next = 0;
  return (records: { key?: string | Buffer | null; value: Buffer | null; headers?: KafkaMessage['headers'] }[]) =>
    records.map(
      (m) =>
        ({
          key: m.key ?? null,
          value: m.value,
          headers: m.headers ?? {},
          offset: String(next++),
          timestamp: '0',
          attributes: 0,
        }) as KafkaMessage,
    );
}

const takeAll = (
  a: ReturnType<typeof createSplitReassembly>,
  ms: KafkaMessage[],
  restoring = false,
): TakenSplitRecord[] => ms.map((m) => a.take(m, restoring));
const wholes = (taken: TakenSplitRecord[]) => taken.flatMap((t) => (t.whole ? [t.whole] : []));
const refusals = (taken: TakenSplitRecord[]) => taken.flatMap((t) => t.refused);

/** A chunk record of writer `key` carrying `frame`. */
const chunkRecord = (key: string, frame: Buffer, kind = 'built') => ({
  key,
  value: frame,
  headers: { [STAGE_KIND_HEADER]: kind },
});

describe('split messages in chunks', () => {
  it('a message that fits one record is written exactly as before chunking', () => {
    const m = built(0, 3);
    expect(splitRecords(m, 'shard/0')).toEqual([
      {
        key: 'shard/0',
        value: Buffer.from(JSON.stringify(m)),
        partition: 0,
        headers: { [STAGE_KIND_HEADER]: 'built' },
      },
    ]);
  });

  it('round trip: a 3 MB message goes as chunks that each fit the default max.message.bytes, and comes back whole', () => {
    const m = built(1, 3000);
    const records = splitRecords(m, 'shard/1');
    const json = Buffer.from(JSON.stringify(m));
    expect(records.length).toBe(Math.ceil(json.length / SPLIT_CHUNK_BYTES));
    expect(records.length).toBeGreaterThan(2);
    for (const r of records) {
      expect(messageBytes(r) + 200).toBeLessThan(BROKER_DEFAULT_MAX_MESSAGE_BYTES);
      expect(r.headers).toEqual({ [STAGE_KIND_HEADER]: 'built' });
      expect(r.key).toBe('shard/1');
    }
    const a = createSplitReassembly();
    const taken = takeAll(a, topic()(records as never));
    expect(refusals(taken)).toEqual([]);
    expect(taken.slice(0, -1).every((t) => t.whole === undefined)).toBe(true);
    expect(a.heldFrom()).toBeUndefined();
    const [whole] = wholes(taken);
    expect(whole.restoring).toBe(false);
    expect(whole.record.value?.equals(json)).toBe(true);
    expect(whole.record.offset).toBe('0');
    expect(decodeSplitRecord(whole.record, ['built'])).toEqual(m);
  });

  it('chunks of two writers interleaved on the partition, with whole records between, make both messages', () => {
    const a0 = splitRecords(built(0, 2500, 'p'), 'shard/0');
    const a1 = splitRecords(built(1, 2500, 'q'), 'shard/1');
    const small = splitRecords(built(2, 1), 'shard/2');
    const order = [a0[0], a1[0], small[0], a1[1], a0[1], a0[2], a1[2]];
    const a = createSplitReassembly();
    const read = topic()(order as never);
    const taken = read.map((m, i) => {
      const t = a.take(m, false);
      if (i === 1) expect(a.heldFrom()).toBe('0');
      return t;
    });
    expect(refusals(taken)).toEqual([]);
    const got = wholes(taken).map((w) => decodeSplitRecord(w.record, ['built']) as ShardBuilt);
    expect(got.map((b) => b.shard)).toEqual([2, 0, 1]);
    expect(got[1]).toEqual(built(0, 2500, 'p'));
    expect(got[2]).toEqual(built(1, 2500, 'q'));
    expect(a.heldFrom()).toBeUndefined();
  });

  it('writes no message over MAX_SPLIT_RECORD_BYTES: it says to add shards', () => {
    const huge = built(0, Math.ceil(MAX_SPLIT_RECORD_BYTES / 900));
    expect(() => splitRecords(huge, 'shard/0')).toThrow(/over 67108864 bytes a message; add decision shards/);
  });
});

describe('refused chunk sets: dead-lettered with the reason, never a stall', () => {
  const parts = (tag: string) => splitRecords(built(0, 2500, tag), 'shard/0');

  /** `records` read in order by a fresh reader: its refusals' reasons (each record once) and the wholes. */
  function read(
    records: { key?: string | Buffer | null; value: Buffer | null; headers?: KafkaMessage['headers'] }[],
    bounds?: SplitBounds,
  ) {
    const a = createSplitReassembly(bounds);
    const ms = topic()(records);
    const taken = takeAll(a, ms);
    return { a, ms, refused: refusals(taken), wholes: wholes(taken) };
  }

  it('a digest that does not match the bytes: every chunk refused', () => {
    const records = parts('d');
    const last = Buffer.from(records[2].value as Buffer);
    last[last.length - 1] ^= 1;
    const r = read([records[0], records[1], { ...records[2], value: last }] as never);
    expect(r.wholes).toEqual([]);
    expect(r.refused.map((x) => x.record)).toEqual(r.ms);
    expect(r.refused[0].reason).toMatch(/do not match their sha256/);
  });

  it('a chunk whose count disagrees with the first’s', () => {
    const value = Buffer.from(JSON.stringify(built(0, 2500)));
    const frames = chunkFrames(value, SPLIT_CHUNK_BYTES);
    const other = chunkFrames(value, Math.ceil(value.length / 4));
    const r = read([chunkRecord('shard/0', frames[0]), chunkRecord('shard/0', other[1])]);
    expect(r.refused.map((x) => x.record)).toEqual(r.ms);
    expect(r.refused[1].reason).toMatch(/chunk 1 says 4 chunks, the first said 3/);
  });

  it('a chunk out of order or repeated', () => {
    const records = parts('o');
    const r = read([records[0], records[0], records[1], records[2]] as never);
    expect(r.refused[0].reason).toMatch(/chunk 0 where chunk 1 was due/);
    expect(r.refused.slice(0, 2).map((x) => x.record)).toEqual(r.ms.slice(0, 2));
    // The rest has lost its first chunk: refused too, one by one; nothing held.
    expect(r.refused.slice(2).map((x) => x.reason)).toEqual([
      expect.stringMatching(/chunk 1 of 3 from shard\/0 without its first chunk/),
      expect.stringMatching(/chunk 2 of 3 from shard\/0 without its first chunk/),
    ]);
    expect(r.a.heldFrom()).toBeUndefined();
  });

  it('a chunk of another kind than its first', () => {
    const records = parts('k');
    const r = read([records[0], { ...records[1], headers: { [STAGE_KIND_HEADER]: 'report' } }] as never);
    expect(r.refused.map((x) => x.reason)).toEqual([
      expect.stringMatching(/chunk 1 is a report/),
      expect.stringMatching(/chunk 1 is a report/),
    ]);
  });

  it('superseded: the writer’s next message (chunked or whole) begins before one completes', () => {
    const first = parts('s');
    const next = parts('t');
    const r = read([first[0], first[1], ...next] as never);
    expect(r.refused.map((x) => x.record)).toEqual(r.ms.slice(0, 2));
    expect(r.refused[0].reason).toMatch(/superseded \(2 of 3 chunks read, then another message of its writer\)/);
    expect(r.wholes.map((w) => decodeSplitRecord(w.record, ['built']))).toEqual([built(0, 2500, 't')]);
    const small = splitRecords(built(0, 1), 'shard/0');
    const w = read([first[0], small[0]] as never);
    expect(w.refused[0].reason).toMatch(/then a whole record of its writer/);
    expect(w.wholes.length).toBe(1);
  });

  it('a count outside 2–MAX_SPLIT_CHUNKS', () => {
    const one = chunkFrames(Buffer.from('{}'), 10);
    expect(read([chunkRecord('shard/0', one[0])]).refused[0].reason).toMatch(/in 1 chunks \(2–69 expected\)/);
    const header = Buffer.from(one[0]);
    header.writeUInt16BE(MAX_SPLIT_CHUNKS + 1, 6);
    expect(readChunkFrame(header)?.count).toBe(MAX_SPLIT_CHUNKS + 1);
    expect(read([chunkRecord('shard/0', header)]).refused[0].reason).toMatch(/in 70 chunks/);
  });

  it('a message over its bound, while it is put together: at most 64 MiB by default', () => {
    expect(SPLIT_BOUNDS.messageBytes).toBe(64 * 2 ** 20);
    const frames = chunkFrames(Buffer.alloc(3000, 1), 1000);
    const r = read(
      frames.map((f) => chunkRecord('shard/0', f)),
      { ...SPLIT_BOUNDS, messageBytes: 1500 },
    );
    expect(r.refused.map((x) => x.record)).toEqual(r.ms);
    expect(r.refused[0].reason).toMatch(/over 1500 bytes after 2 of 3 chunks/);
    // The third chunk has lost the rest of its message.
    expect(r.refused[2].reason).toMatch(/chunk 2 of 3 from shard\/0 without its first chunk/);
    expect(r.a.heldFrom()).toBeUndefined();
  });

  it('more incomplete messages than the bound: the oldest is refused, the others complete', () => {
    const writers = ['shard/0', 'shard/1', 'shard/2'];
    const sets = writers.map((w) => splitRecords(built(0, 2500, w), w));
    const r = read([...sets.map((s) => s[0]), ...sets.flatMap((s) => s.slice(1))] as never, {
      ...SPLIT_BOUNDS,
      incomplete: 2,
    });
    expect(r.refused[0].record).toBe(r.ms[0]);
    expect(r.refused[0].reason).toMatch(/never completed \(over 2 incomplete messages held; the oldest is refused\)/);
    expect(r.refused.slice(1).map((x) => x.reason)).toEqual([
      expect.stringMatching(/chunk 1 of 3 from shard\/0 without its first chunk/),
      expect.stringMatching(/chunk 2 of 3 from shard\/0 without its first chunk/),
    ]);
    expect(r.wholes.map((w) => String(w.record.key))).toEqual(['shard/1', 'shard/2']);
  });

  it('more bytes held than the bound: the oldest is refused', () => {
    const a = splitRecords(built(0, 2500, 'x'), 'shard/0');
    const b = splitRecords(built(1, 2500, 'y'), 'shard/1');
    const r = read([a[0], a[1], b[0]] as never, { ...SPLIT_BOUNDS, heldBytes: 2.5 * SPLIT_CHUNK_BYTES });
    expect(r.refused.map((x) => x.record)).toEqual(r.ms.slice(0, 2));
    expect(r.refused[0].reason).toMatch(/bytes of incomplete messages held; the oldest is refused/);
    expect(r.a.heldFrom()).toBe('2');
  });

  it('a message not complete within the span: refused, the committed offset no longer held back', () => {
    const a = createSplitReassembly({ ...SPLIT_BOUNDS, span: 100n });
    const [c0] = topic()(parts('n').slice(0, 1) as never);
    expect(a.take(c0, false).refused).toEqual([]);
    expect(a.heldFrom()).toBe('0');
    const far = { key: 'stage', value: Buffer.from('{}'), headers: { [STAGE_KIND_HEADER]: 'settle' }, offset: '101' };
    const t = a.take(far as never, false);
    expect(t.refused.map((x) => x.record)).toEqual([c0]);
    expect(t.refused[0].reason).toMatch(/never completed \(1 of 3 chunks read within 100 offsets\)/);
    expect(a.heldFrom()).toBeUndefined();
  });
});

describe('a restart in the middle of chunk sets', () => {
  it('resumes from heldFrom: the message is taken once, after the restore bound; one completed before it is not taken again', () => {
    const done = splitRecords(built(0, 2500, 'done'), 'shard/0');
    const open = splitRecords(built(1, 2500, 'open'), 'shard/1');
    // Offsets 0–2: shard/0's message, complete; 3, 4: shard/1's first two chunks; 5: its last.
    const ms = topic()([done[0], done[1], open[0], done[2], open[1], open[2]] as never);
    const before = createSplitReassembly();
    const first = takeAll(before, ms.slice(0, 5));
    expect(wholes(first).map((w) => String(w.record.key))).toEqual(['shard/0']);
    // Committed with position 5: the offset stays at the first chunk held, 2.
    expect(before.heldFrom()).toBe('2');
    const restoreBelow = 5n;
    const after = createSplitReassembly();
    const again = ms.slice(2).map((m) => after.take(m, BigInt(m.offset) < restoreBelow));
    expect(refusals(again)).toEqual([]);
    // shard/0's last chunk (offset 3) is of a message begun before the resume point: skipped.
    const got = wholes(again);
    expect(got.map((w) => [String(w.record.key), w.restoring])).toEqual([['shard/1', false]]);
    expect(decodeSplitRecord(got[0].record, ['built'])).toEqual(built(1, 2500, 'open'));
  });

  it('a message completed before the last commit and re-read from its first chunk is taken as restoring', () => {
    const ms = topic()(splitRecords(built(0, 2500), 'shard/0') as never);
    const a = createSplitReassembly();
    const got = wholes(ms.map((m) => a.take(m, true)));
    expect(got.map((w) => w.restoring)).toEqual([true]);
  });

  it('a refusal made before the last commit is not dead-lettered again; one after the bound is', () => {
    const first = splitRecords(built(0, 2500, 'r'), 'shard/0');
    const next = splitRecords(built(0, 1, 's'), 'shard/0');
    const ms = topic()([first[0], first[1], next[0]] as never);
    const restored = createSplitReassembly();
    expect(refusals(ms.map((m) => restored.take(m, true)))).toEqual([]);
    const live = createSplitReassembly();
    expect(refusals(ms.map((m) => live.take(m, BigInt(m.offset) < 2n))).map((x) => x.record)).toEqual(ms.slice(0, 2));
  });

  it('a chunk without its first one after the restore bound is refused, not skipped', () => {
    const ms = topic()(splitRecords(built(0, 2500), 'shard/0') as never);
    const a = createSplitReassembly();
    expect(a.take(ms[1], true).refused).toEqual([]);
    expect(a.take(ms[2], false).refused.map((x) => x.reason)).toEqual([
      expect.stringMatching(/chunk 2 of 3 from shard\/0 without its first chunk/),
    ]);
  });

  it('clear() forgets what is held', () => {
    const ms = topic()(splitRecords(built(0, 2500), 'shard/0') as never);
    const a = createSplitReassembly();
    a.take(ms[0], false);
    expect(a.heldFrom()).toBe('0');
    a.clear();
    expect(a.heldFrom()).toBeUndefined();
  });
});
