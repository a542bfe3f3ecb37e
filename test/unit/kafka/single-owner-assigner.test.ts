import { AssignerProtocol, type Cluster } from 'kafkajs';
import { chooseOwner, chooseSpread, parseClaim, singleOwnerAssigner } from '../../../src/kafka/single-owner-assigner';

// A stand-in for kafkajs's cluster metadata: the assigner only asks for partition ids.
const cluster = {
  findTopicPartitionMetadata: (t: string) =>
    (t === 'telemetry' ? [2, 0, 1, 3] : [0]).map((partitionId) => ({ partitionId })),
} as unknown as Cluster;

/** A member standing by (`since` undefined) or owning the partitions since `since`. */
function member(id: string, since?: number): { memberId: string; memberMetadata: Buffer } {
  const a = singleOwnerAssigner(() => since)({ cluster, groupId: 'g', logger: undefined as never });
  return { memberId: id, memberMetadata: a.protocol({ topics: ['telemetry'] }).metadata };
}

async function assign(
  members: { memberId: string; memberMetadata: Buffer }[],
): Promise<Record<string, Record<string, number[]>>> {
  const a = singleOwnerAssigner(() => undefined)({ cluster, groupId: 'g', logger: undefined as never });
  const out = await a.assign({ members, topics: ['telemetry'] });
  return Object.fromEntries(
    out.map((m) => [m.memberId, AssignerProtocol.MemberAssignment.decode(m.memberAssignment)!.assignment]),
  );
}

describe('single-owner assigner', () => {
  test('every partition to one member, none to the others', async () => {
    const got = await assign([member('b'), member('a'), member('c')]);
    expect(got).toEqual({ a: { telemetry: [0, 1, 2, 3] }, b: {}, c: {} });
  });

  test('the current owner keeps the partitions when a standby with a smaller id joins', async () => {
    const got = await assign([member('z-owner', 1_000), member('a-new')]);
    expect(got['z-owner']).toEqual({ telemetry: [0, 1, 2, 3] });
    expect(got['a-new']).toEqual({});
  });

  test('a zombie rejoining with its old claim beside the process that took over: the newer claim keeps the partitions', async () => {
    const got = await assign([member('a-zombie', 1_000), member('z-new-owner', 9_000)]);
    expect(got['z-new-owner']).toEqual({ telemetry: [0, 1, 2, 3] });
    expect(got['a-zombie']).toEqual({});
  });

  test("claims: the previous version's bare `owner` loses to a timed one; anything else is a standby", () => {
    expect(parseClaim('owner')).toEqual({ owner: true, since: 0 });
    expect(parseClaim('owner@1700000000000')).toEqual({ owner: true, since: 1_700_000_000_000 });
    expect(parseClaim('owner@soon')).toEqual({ owner: true, since: 0 });
    expect(parseClaim('standby')).toEqual({ owner: false, since: 0 });
    expect(parseClaim('')).toEqual({ owner: false, since: 0 });
    expect(
      chooseOwner([
        { memberId: 'a', ...parseClaim('owner') },
        { memberId: 'b', ...parseClaim('owner@5') },
      ]),
    ).toBe('b');
  });

  test('chooseOwner: a claimed owner first (the newest claim, then the smallest id if several claim), else the smallest id', () => {
    expect(
      chooseOwner([
        { memberId: 'b', owner: true },
        { memberId: 'a', owner: true },
        { memberId: '0', owner: false },
      ]),
    ).toBe('a');
    expect(
      chooseOwner([
        { memberId: 'b', owner: false },
        { memberId: 'a', owner: false },
      ]),
    ).toBe('a');
    expect(chooseOwner([])).toBeUndefined();
  });

  test('chooseSpread: the index-th process by key (modulo their number), then its claimed owner or smallest id', () => {
    const members = [
      { memberId: 'm3', owner: false, process: 'q' },
      { memberId: 'm1', owner: true, process: 'p' },
      { memberId: 'm4', owner: true, process: 'q' },
      { memberId: 'm2', owner: false, process: 'r' },
    ];
    expect(chooseSpread(members, 0)).toBe('m1');
    expect(chooseSpread(members, 1)).toBe('m4');
    expect(chooseSpread(members, 2)).toBe('m2');
    expect(chooseSpread(members, 3)).toBe('m1');
    expect(chooseSpread([], 1)).toBeUndefined();
  });
});
