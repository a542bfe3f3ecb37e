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

/**
 * A split stage two's shards and arbiter (runner.decisionShards) are spread instead: each
 * group's partition goes to the `index`-th of the processes present (by their `process` key,
 * the same in all of a process's groups), so that D shards use up to D processes; a process
 * joining or leaving moves some of them (each a takeover from its last commit).
 */
export interface Spread {
  process: string;
  index: number;
}

export function singleOwnerAssigner(ownsPartitions: () => boolean, spread?: Spread): PartitionAssigner {
  return ({ cluster }) => ({
    name: SINGLE_OWNER_ASSIGNER,
    version: VERSION,
    protocol({ topics }) {
      return {
        name: SINGLE_OWNER_ASSIGNER,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: VERSION,
          topics,
          userData: Buffer.from(`${ownsPartitions() ? 'owner' : 'standby'}${spread ? `:${spread.process}` : ''}`),
        }),
      };
    },
    assign({ members, topics }) {
      const said = members.map((m) => {
        const data = AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData?.toString() ?? '';
        const at = data.indexOf(':');
        return {
          memberId: m.memberId,
          owner: (at < 0 ? data : data.slice(0, at)) === 'owner',
          process: at < 0 ? '' : data.slice(at + 1),
        };
      });
      const owner = spread ? chooseSpread(said, spread.index) : chooseOwner(said);
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

/** The members of the `index`-th process (by process key, modulo their number), then as chooseOwner among them. */
export function chooseSpread(members: { memberId: string; owner: boolean; process: string }[], index: number) {
  const processes = [...new Set(members.map((m) => m.process))].sort();
  if (processes.length === 0) return undefined;
  const chosen = processes[index % processes.length];
  return chooseOwner(members.filter((m) => m.process === chosen));
}

/** The current owner if one says so (the first by id if several do), else the first member by id. */
export function chooseOwner(members: { memberId: string; owner: boolean }[]): string | undefined {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  return (sorted.find((m) => m.owner) ?? sorted[0])?.memberId;
}
