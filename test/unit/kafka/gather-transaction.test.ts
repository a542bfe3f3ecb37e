/**
 * The stage offset stage two commits (gather-transaction.ts): the oldest stage record still
 * buffered, else the position — and never above the first chunk of a split message its
 * extension holds incomplete (split-chunks.ts), so that a restart reads that message whole.
 */
import type { BatchExtension } from '../../../src/kafka/batch-extension';
import { decodeCheckpoint } from '../../../src/kafka/checkpoint-meta';
import { createGatherWriter } from '../../../src/kafka/gather-transaction';
import { createOutputEncoder } from '../../../src/kafka/outputs';
import { resolveEngineConfig } from '../../../src/core';
import { createGather, emptyGatherOutputs } from '../../../src/pipeline/gather';
import { FakeKafka } from '../../helpers/fake-kafka';

/** An extension that writes nothing and holds the chunks from `held` on. */
function holding(held: () => string | undefined): BatchExtension {
  return {
    onFinals: () => [],
    hasPending: () => false,
    takePending: () => [],
    reset: () => Promise.resolve(),
    stateKey: 'ext',
    ownsKey: (k) => k === 'ext',
    resetFrom: () => undefined,
    heldFrom: held,
  };
}

async function committedWith(held: string | undefined, at: bigint): Promise<{ offset: string; next?: string }> {
  const k = new FakeKafka();
  for (const t of ['stage', 'signals', 'state']) k.createTopic(t, 1);
  const writer = createGatherWriter({
    kafka: k,
    transactionalId: 'tx',
    groupId: 'g',
    stageTopic: 'stage',
    signalsTopic: 'signals',
    stateTopic: 'state',
    stateKey: 'stage/g',
    signals: await createOutputEncoder('signal', 'signals', 'json', undefined),
    rawPassThrough: true,
    extension: holding(() => held),
  });
  await writer.fence();
  const engine = resolveEngineConfig({ window: { sizeMs: 1000, graceMs: 0 } });
  await writer.commit(createGather({ partitionCount: 1, engine }), emptyGatherOutputs(), { at, restoreBelow: -1n });
  await writer.close();
  const c = k.committed('g', 'stage', 0)!;
  return { offset: c.offset, next: decodeCheckpoint(c.metadata)?.next };
}

describe('the stage offset a transaction commits', () => {
  it('is the position when nothing is buffered or held', async () => {
    expect(await committedWith(undefined, 40n)).toEqual({ offset: '40', next: '40' });
  });

  it('stays at the first chunk of a message held incomplete, records after it marked handled', async () => {
    expect(await committedWith('17', 40n)).toEqual({ offset: '17', next: '40' });
  });

  it('is not raised by a held chunk above the position', async () => {
    expect(await committedWith('45', 40n)).toEqual({ offset: '40', next: '40' });
  });
});
