import { AssignerProtocol, type Cluster } from 'kafkajs';
import { chooseOwner, chooseSpread, singleOwnerAssigner } from '../../../src/kafka/single-owner-assigner';

// A stand-in for kafkajs's cluster metadata: the assigner only asks for partition ids.
const cluster = {
  findTopicPartitionMetadata: (t: string) =>
    (t === 'telemetry' ? [2, 0, 1, 3] : [0]).map((partitionId) => ({ partitionId })),
} as unknown as Cluster;

function member(id: string, owns: boolean): { memberId: string; memberMetadata: Buffer } {
  const a = singleOwnerAssigner(() => owns)({ cluster, groupId: 'g', logger: undefined as never });
  return { memberId: id, memberMetadata: a.protocol({ topics: ['telemetry'] }).metadata };
}

async function assign(
  members: { memberId: string; memberMetadata: Buffer }[],
): Promise<Record<string, Record<string, number[]>>> {
  const a = singleOwnerAssigner(() => false)({ cluster, groupId: 'g', logger: undefined as never });
  const out = await a.assign({ members, topics: ['telemetry'] });
  return Object.fromEntries(
    out.map((m) => [m.memberId, AssignerProtocol.MemberAssignment.decode(m.memberAssignment)!.assignment]),
  );
}

describe('single-owner assigner', () => {
  test('every partition to one member, none to the others', async () => {
    const got = await assign([member('b', false), member('a', false), member('c', false)]);
    expect(got).toEqual({ a: { telemetry: [0, 1, 2, 3] }, b: {}, c: {} });
  });

  test('the current owner keeps the partitions when a standby with a smaller id joins', async () => {
    const got = await assign([member('z-owner', true), member('a-new', false)]);
    expect(got['z-owner']).toEqual({ telemetry: [0, 1, 2, 3] });
    expect(got['a-new']).toEqual({});
  });

  test('chooseOwner: a claimed owner first (the smallest id if several claim), else the smallest id', () => {
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
