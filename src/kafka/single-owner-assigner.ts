/**
 * The partition assigner of the processor's consumer group: every partition to one member,
 * none to the others (hot standbys). One process holds the whole group's state — stage two
 * of the scope aggregates and the policies' state span all partitions — so splitting the
 * partitions over processes would close windows over part of the input. A member says in
 * its subscription whether it owns partitions now, and the owner keeps them: a standby
 * joining does not move the work. A standby takes over when the owner leaves or its session
 * expires, and restores from the committed checkpoints as a restarted process does.
 */
import './kafkajs-patches'; // before kafkajs loads: its producer's grouping, fixed (kafkajs-patches.ts)
import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';

export const SINGLE_OWNER_ASSIGNER = 'HomeostatSingleOwner';
const VERSION = 0;

export function singleOwnerAssigner(ownsPartitions: () => boolean): PartitionAssigner {
  return ({ cluster }) => ({
    name: SINGLE_OWNER_ASSIGNER,
    version: VERSION,
    protocol({ topics }) {
      return {
        name: SINGLE_OWNER_ASSIGNER,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: VERSION,
          topics,
          userData: Buffer.from(ownsPartitions() ? 'owner' : 'standby'),
        }),
      };
    },
    assign({ members, topics }) {
      const owner = chooseOwner(
        members.map((m) => ({
          memberId: m.memberId,
          owner: AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData?.toString() === 'owner',
        })),
      );
      const all = Object.fromEntries(
        topics.map((t) => [
          t,
          cluster
            .findTopicPartitionMetadata(t)
            .map((p) => p.partitionId)
            .sort((a, b) => a - b),
        ]),
      );
      return Promise.resolve(
        members.map((m) => ({
          memberId: m.memberId,
          memberAssignment: AssignerProtocol.MemberAssignment.encode({
            version: VERSION,
            assignment: m.memberId === owner ? all : {},
            userData: Buffer.alloc(0),
          }),
        })),
      );
    },
  });
}

/** The current owner if one says so (the first by id if several do), else the first member by id. */
export function chooseOwner(members: { memberId: string; owner: boolean }[]): string | undefined {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  return (sorted.find((m) => m.owner) ?? sorted[0])?.memberId;
}
