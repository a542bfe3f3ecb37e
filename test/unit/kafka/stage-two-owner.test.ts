/**
 * homeostat_stage_two_owner is one series per part of stage two (`part="stage-two"` for the
 * single stage two; a split one's drivers label theirs `shard-<i>` and `arbiter`), 1 in the
 * process that runs the part: the owner shows 1, a standby 0, and the standby 1 once it has
 * taken over.
 */
import type { StageTwo } from '../../../src/kafka/gather-driver';
import { createMetrics, type HomeostatMetrics } from '../../../src/ops/metrics';
import { stageHarness } from './stage-two-harness';

jest.setTimeout(30_000);

const owner = async (m: HomeostatMetrics): Promise<unknown[]> =>
  (await m.stageTwoOwner.get()).values.map((v) => [v.labels.part, v.value]);

test('the owner of stage two shows 1 for its part, a standby 0 until it takes over', async () => {
  const h = stageHarness();
  const [ma, mb] = [createMetrics(), createMetrics()];
  const a: StageTwo = h.stageTwo(ma);
  const b: StageTwo = h.stageTwo(mb);
  await a.start();
  await b.start();
  try {
    expect(await owner(ma)).toEqual([['stage-two', 1]]);
    expect(await owner(mb)).toEqual([['stage-two', 0]]);
    await a.stop();
    await h.k.until(() => h.logged('stage two: this process merges').length === 2, 5_000, 'the standby to take over');
    expect(await owner(mb)).toEqual([['stage-two', 1]]);
  } finally {
    await b.stop();
  }
});
