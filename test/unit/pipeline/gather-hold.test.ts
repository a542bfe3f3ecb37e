/**
 * The gather of a split stage two's decision shard (runner.decisionShards): marks carry the
 * windows stage one emitted, so a shard buffers (and releases) a window it has no finals of;
 * with a hold, windows go out one at a time — the next only once the last was taken and the
 * hold lifted — and a checkpoint taken while one is held says it was not released, so a
 * restart buffers its signals again instead of skipping them.
 */
import { resolveEngineConfig } from '../../../src/core';
import type { WindowSignal } from '../../../src/model/signal';
import { createGather, emptyGatherOutputs, type GatherInput } from '../../../src/pipeline/gather';
import { sig } from '../policies/fixtures';

const engine = resolveEngineConfig({ window: { sizeMs: 1_000, graceMs: 100 }, idleAfterMs: 600_000 });
const END = (i: number): number => sig({ metric: 'm', value: 1, i, source: 'a' }).windowEnd;

function signal(i: number, source: string): GatherInput {
  return { kind: 'signal', signal: sig({ metric: 'm', value: 1, i, source }), offset: String(i * 10) };
}

/** Partition 0's mark past windows `upTo`, naming the windows `named` (as a split stage one does). */
function mark(upTo: number, named: number[], offset: number): GatherInput {
  const wm = END(upTo) + 100;
  const windows = named.map((i) => ({ end: END(i), minStart: END(i) - 1000 }));
  return { kind: 'mark', mark: { partition: 0, wm, maxTs: wm, next: String(offset), windows }, offset: String(offset) };
}

function released(out: ReturnType<typeof emptyGatherOutputs>): number[] {
  return (out.windows ?? []).map((w) => w.end);
}

describe('gather with a hold (a decision shard)', () => {
  it('releases the windows the marks name, one at a time while held, and checkpoints a held window as unreleased', () => {
    let awaiting = false;
    const g = createGather({ partitionCount: 1, engine, hold: () => awaiting });
    const out = emptyGatherOutputs();
    g.step(signal(0, 'a'), out);
    // Window 1 has no final in this shard: only the mark names it.
    g.step(mark(2, [0, 1, 2], 100), out);
    expect(released(out)).toEqual([END(0)]);
    expect(out.finals.map((s: WindowSignal) => s.source)).toEqual(['a']);
    expect(out.windows?.[0].minStart).toBe(END(0) - 1000);
    // Not yet taken: a resume does not release the next one.
    g.step({ kind: 'resume' }, out);
    expect(released(out)).toEqual([END(0)]);
    awaiting = true;
    g.step({ kind: 'taken' }, out);
    expect(g.checkpoint().released).toBe(END(1) + 100 - 1);
    awaiting = false;
    g.step({ kind: 'resume' }, out);
    expect(released(out)).toEqual([END(0), END(1)]);
  });

  it('without a hold it releases every due window at once, as stage two always has', () => {
    const g = createGather({ partitionCount: 1, engine });
    const out = emptyGatherOutputs();
    g.step(signal(0, 'a'), out);
    g.step(mark(2, [0, 1, 2], 100), out);
    expect(released(out)).toEqual([END(0), END(1), END(2)]);
    expect(g.checkpoint().released).toBe(END(2) + 100);
  });

  it('restored while held: windows the marks had passed are buffered again by the re-read, even after stage one offsets moved the watermark first', () => {
    let awaiting = false;
    const g = createGather({ partitionCount: 1, engine, hold: () => awaiting });
    const out = emptyGatherOutputs();
    g.step(signal(0, 'a'), out);
    g.step(signal(1, 'b'), out);
    g.step(signal(2, 'c'), out);
    g.step(mark(2, [0, 1, 2], 100), out);
    expect(released(out)).toEqual([END(0)]);
    awaiting = true;
    g.step({ kind: 'taken' }, out);
    const cp = JSON.parse(JSON.stringify(g.checkpoint())) as ReturnType<typeof g.checkpoint>;
    // A restart, still awaiting window 0's settlement: stage one's offsets arrive before the re-read.
    const r = createGather({ partitionCount: 1, engine, hold: () => awaiting });
    r.restore(cp);
    const again = emptyGatherOutputs();
    r.step({ kind: 'offsets', high: ['101'], committed: ['101'] }, again);
    for (const input of [signal(1, 'b'), signal(2, 'c'), mark(2, [0, 1, 2], 100)]) r.step(input, again, true);
    awaiting = false;
    r.step({ kind: 'resume' }, again);
    expect(released(again)).toEqual([END(1)]);
    awaiting = true;
    r.step({ kind: 'taken' }, again);
    awaiting = false;
    r.step({ kind: 'resume' }, again);
    expect(released(again)).toEqual([END(1), END(2)]);
    expect(again.finals.map((x: WindowSignal) => x.source)).toEqual(['b', 'c']);
  });
});
