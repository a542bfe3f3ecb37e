/**
 * The partition assigner of the processor's consumer group: every partition to one member,
 * none to the others (hot standbys). One process holds the whole group's state — stage two
 * of the scope aggregates and the policies' state span all partitions — so splitting the
 * partitions over processes would close windows over part of the input. A member says in
 * its subscription whether it owns partitions now, and since when, and the owner keeps them: a
 * standby joining does not move the work. A standby takes over when the owner leaves or its
 * session expires, and restores from the committed checkpoints as a restarted process does.
 *
 * Since when: an owner dropped by the group without knowing it (paused past its session)
 * rejoins still claiming the partitions, beside the process that took them over. The newer
 * claim wins, so the work does not move back to the zombie (it is fenced either way: its
 * transactional id was taken). The times are wall clocks of different hosts, but the two claims
 * are a session timeout apart at least; a claim of the previous version carries no time and
 * loses to one that does.
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

/**
 * `ownedSince`: when this member was given the partitions (ms since the epoch), or undefined
 * while it stands by.
 */
export function singleOwnerAssigner(ownedSince: () => number | undefined, spread?: Spread): PartitionAssigner {
  return ({ cluster }) => ({
    name: SINGLE_OWNER_ASSIGNER,
    version: VERSION,
    protocol({ topics }) {
      return {
        name: SINGLE_OWNER_ASSIGNER,
        metadata: AssignerProtocol.MemberMetadata.encode({
          version: VERSION,
          topics,
          userData: Buffer.from(`${claimOf(ownedSince())}${spread ? `:${spread.process}` : ''}`),
        }),
      };
    },
    assign({ members, topics }) {
      const said = members.map((m) => {
        const data = AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData?.toString() ?? '';
        const at = data.indexOf(':');
        return {
          memberId: m.memberId,
          ...parseClaim(at < 0 ? data : data.slice(0, at)),
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

/** `owner@<since>` or `standby`. */
function claimOf(since: number | undefined): string {
  return since === undefined ? 'standby' : `owner@${since}`;
}

/** A member's claim; `owner` alone (the previous version) is a claim of no known time. */
export function parseClaim(claim: string): { owner: boolean; since: number } {
  if (claim === 'owner') return { owner: true, since: 0 };
  if (!claim.startsWith('owner@')) return { owner: false, since: 0 };
  const since = Number(claim.slice('owner@'.length));
  return { owner: true, since: Number.isFinite(since) ? since : 0 };
}

/**
 * The current owner if one says so — the newest claim if several do (then the first by id) —
 * else the first member by id.
 */
export function chooseOwner(members: { memberId: string; owner: boolean; since?: number }[]): string | undefined {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  let owner: (typeof sorted)[number] | undefined;
  for (const m of sorted) if (m.owner && (owner === undefined || (m.since ?? 0) > (owner.since ?? 0))) owner = m;
  return (owner ?? sorted[0])?.memberId;
}
