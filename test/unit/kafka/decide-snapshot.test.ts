/**
 * The decision extension writes the policies' snapshot so that it always fits the state topic,
 * and reads it back only when it is whole. A stub stage stands for the policies: the extension's
 * own path (encode, split, write; read, reassemble, check, restore) is what is under test.
 */
import { createHash } from 'node:crypto';
import type { Message, TopicMessages } from 'kafkajs';
import { commandParams } from '../../../src/codec';
import { leaseKey, type Lease } from '../../../src/actions/leases';
import { initialControlState } from '../../../src/guardrails/control';
import { createDecisionExtension } from '../../../src/kafka/decide-driver';
import { SNAPSHOT_CHUNK_BYTES, chunkKey } from '../../../src/kafka/snapshot-chunks';
import { silentLogger } from '../../../src/ops/logger';
import type { DecisionStage, StageState } from '../../../src/pipeline/decide';
import type { DecisionEngineState } from '../../../src/policies';
import { FakeKafka } from '../../helpers/fake-kafka';

const KEY = 'decisions/g';
const topics = { actions: 'a', decisions: 'd', state: 's', outcomes: 'o' };

function leases(n: number): Record<string, Lease> {
  const out: Record<string, Lease> = {};
  for (let i = 0; i < n; i++) {
    const target = `worker-${createHash('sha256').update(String(i)).digest('hex').slice(0, 24)}`;
    const l: Lease = {
      policy: 'at',
      target,
      family: 'query_timeout',
      type: 'query_timeout.set',
      params: commandParams({ timeoutMs: 4000 }),
      mode: 'enforce',
      reason: `overloaded for 3 windows; ${target}`,
      evidence: [{ signal: 'queue.depth:mean', value: 100 + (i % 50), threshold: 50, comparison: '>' }],
      commandId: createHash('sha256').update(target).digest('hex'),
      windowStart: 1_700_000_000_000 + i,
      windowEnd: 1_700_000_010_000 + i,
      issuedAt: 1_700_000_010_000 + i,
      expiresAt: 1_700_000_040_000 + i,
      changedAt: 1_700_000_010_000 + i,
      setAt: 1_700_000_010_000 + i,
    };
    out[leaseKey(l.policy, l.target, l.family)] = l;
  }
  return out;
}

const engineState = (n: number): DecisionEngineState => ({
  windowMs: 10_000,
  lastEventTime: 1_700_000_010_000,
  policies: {},
  guard: { control: initialControlState(), lastChange: {}, breakers: {}, buckets: {} },
  leases: leases(n),
});

/** A stage that holds a state and does nothing else. */
function stubStage(initial: StageState): DecisionStage & { current(): StageState } {
  let s = initial;
  return {
    engine: { policies: [], init: () => engineState(0) } as unknown as DecisionStage['engine'],
    onFinals: () => undefined,
    onControl: () => undefined,
    state: () => s,
    restore: (x) => {
      s = 'engine' in x ? x : { engine: x, verifier: null };
    },
    current: () => s,
  };
}

const extension = (stage: DecisionStage) =>
  createDecisionExtension({
    kafka: new FakeKafka(),
    stage,
    topics,
    format: 'json',
    stateKey: KEY,
    logger: silentLogger(),
  });

/** The newest value of each key after `messages`, as a compacted topic read to its end gives them. */
function compacted(messages: readonly Message[], into = new Map<string, Buffer>()): Map<string, Buffer> {
  for (const m of messages) {
    if (m.value === null) into.delete(String(m.key));
    else into.set(String(m.key), m.value as Buffer);
  }
  return into;
}
const stateRecords = (tms: TopicMessages[]) => tms.filter((t) => t.topic === topics.state).flatMap((t) => t.messages);

describe("the policies' snapshot through the decision extension", () => {
  it('a snapshot larger than one record is written in chunks that each fit, and restores whole', async () => {
    const big = await extension(stubStage({ engine: engineState(40_000), verifier: null }));
    const written = stateRecords(big.takePending());
    // Before, one record of several MiB: over the broker's default 1 MiB, refused for ever.
    expect(written.length).toBeGreaterThan(2);
    for (const m of written) expect((m.value as Buffer).length).toBeLessThanOrEqual(SNAPSHOT_CHUNK_BYTES + 64);

    const stage = stubStage({ engine: engineState(0), verifier: null });
    (await extension(stage)).resetFrom(compacted(written));
    expect(Object.keys(stage.current().engine.leases)).toHaveLength(40_000);
  });

  it('a partial chunk set is refused: the policies start afresh instead of from a corrupt state', async () => {
    const written = stateRecords(
      (await extension(stubStage({ engine: engineState(40_000), verifier: null }))).takePending(),
    );
    const stored = compacted(written);
    stored.delete(chunkKey(KEY, 1));
    const stage = stubStage({ engine: engineState(3), verifier: null });
    (await extension(stage)).resetFrom(stored);
    expect(Object.keys(stage.current().engine.leases)).toHaveLength(0);
  });

  it('a smaller snapshot after a chunked one tombstones the chunks it no longer uses', async () => {
    const stage = stubStage({ engine: engineState(40_000), verifier: null });
    const ext = await extension(stage);
    const stored = compacted(stateRecords(ext.takePending()));
    stage.restore({ engine: engineState(2), verifier: null });
    compacted(stateRecords(ext.takePending()), stored);
    expect([...stored.keys()]).toEqual([KEY]);
  });
});
