/**
 * The decision extension writes the policies' snapshot so that it always fits the state topic,
 * and reads it back only when it is whole. A stub stage stands for the policies: the extension's
 * own path (encode, split, write; read, reassemble, check, restore) is what is under test.
 */
import type { Message, TopicMessages } from 'kafkajs';
import { createDecisionExtension } from '../../../src/kafka/decide-driver';
import { SNAPSHOT_CHUNK_BYTES, chunkKey } from '../../../src/kafka/snapshot-chunks';
import { silentLogger, type Logger } from '../../../src/ops/logger';
import type { DecisionStage, StageState } from '../../../src/pipeline/decide';
import type { DecisionEngineState } from '../../../src/policies';
import { FakeKafka } from '../../helpers/fake-kafka';
import { stateWithLeases } from '../../helpers/leases';

const KEY = 'decisions/g';
const topics = { actions: 'a', decisions: 'd', state: 's', outcomes: 'o' };

const engineState = (n: number): DecisionEngineState => stateWithLeases(n).engine;

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

const extension = (stage: DecisionStage, more: { maxSnapshotBytes?: number; logger?: Logger } = {}) =>
  createDecisionExtension({
    kafka: new FakeKafka(),
    stage,
    topics,
    format: 'json',
    stateKey: KEY,
    logger: silentLogger(),
    ...more,
  });

/** A logger that keeps the messages of its error lines. */
function errorLog(): { logger: Logger; errors: string[] } {
  const errors: string[] = [];
  const logger = silentLogger();
  logger.error = (_fields: unknown, msg?: string) => void errors.push(String(msg));
  return { logger, errors };
}

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

  it('a state past the bound is not written, since it could not be read back: logged, and the batch goes on', async () => {
    const { logger, errors } = errorLog();
    const ext = await extension(stubStage({ engine: engineState(5000), verifier: null }), {
      maxSnapshotBytes: 64 * 1024,
      logger,
    });
    expect(stateRecords(ext.takePending())).toEqual([]);
    expect(errors.join()).toMatch(/inflates to more than 65536 bytes \(runner.snapshotMaxMiB\)/);
    const roomy = await extension(stubStage({ engine: engineState(5000), verifier: null }));
    const stored = compacted(stateRecords(roomy.takePending()));
    // The same bound refuses what a writer with a larger one stored.
    const { logger: readLogger, errors: readErrors } = errorLog();
    const stage = stubStage({ engine: engineState(3), verifier: null });
    (await extension(stage, { maxSnapshotBytes: 64 * 1024, logger: readLogger })).resetFrom(stored);
    expect(Object.keys(stage.current().engine.leases)).toHaveLength(0);
    expect(readErrors.join()).toMatch(/refused the policies' snapshot/);
  });

  it('a state that cannot be encoded is logged and not written: the transaction does not throw', async () => {
    const { logger, errors } = errorLog();
    const state = { engine: engineState(2), verifier: { odd: 1n } as unknown as StageState['verifier'] };
    const ext = await extension(stubStage(state), { logger });
    expect(stateRecords(ext.takePending())).toEqual([]);
    expect(errors.join()).toMatch(/cannot be encoded/);
  });

  it("a state longer as JSON than V8's longest string (~512 MiB) is written and restored", async () => {
    // What a million targets under three per-target policies comes to; built here from one
    // shared 1 MiB string so that the test stays small. As one JSON document it cannot be a
    // string at all (JSON.stringify throws), and past 256 MiB it was refused when read back.
    const big = 'x'.repeat(1024 * 1024);
    const targets: Record<string, { note: string; n: number }> = {};
    for (let i = 0; i < 520; i++) targets[`worker-${i}`] = { note: big, n: i };
    const engine = { ...engineState(300), policies: { timeouts: { targets } } };
    expect(() => JSON.stringify(engine)).toThrow(RangeError);
    const written = stateRecords(
      (await extension(stubStage({ engine, verifier: null }), { maxSnapshotBytes: 1024 * 2 ** 20 })).takePending(),
    );
    expect(written.length).toBeGreaterThan(0);
    const stage = stubStage({ engine: engineState(0), verifier: null });
    (await extension(stage, { maxSnapshotBytes: 1024 * 2 ** 20 })).resetFrom(compacted(written));
    const back = stage.current().engine;
    expect(Object.keys(back.leases)).toHaveLength(300);
    const table = (back.policies.timeouts as { targets: typeof targets }).targets;
    expect(Object.keys(table)).toHaveLength(520);
    expect(table['worker-519']).toEqual({ note: big, n: 519 });
  });
});
