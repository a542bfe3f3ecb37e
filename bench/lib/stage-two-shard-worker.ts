/**
 * One decision shard of bench/stage-two.ts --shards, in a worker thread: it reads (here:
 * generates) the finals of the series whose key it owns, buffers and releases them with a
 * gather of its own (every partition's marks reach every shard), evaluates and lapses as a
 * DecisionShard, and sends the main thread's arbiter its candidates, counts, decisions and
 * the finals the arbiter's verifier reads; from the arbiter's verdicts it builds, hashes and
 * signs its commands and decisions. Candidates cross the thread boundary without their
 * policy object (by name).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Command } from '../../src/model/command';
import type { WindowSignal } from '../../src/model/signal';
import { emptyGatherOutputs, type GatherInput } from '../../src/pipeline/gather';
import {
  createDecisionShard,
  type Built,
  type Settlement,
  type ShardWindow,
  type WindowFrame,
} from '../../src/pipeline/shard-stage';
import { splitShardState } from '../../src/pipeline/shard-state';
import { hashShard, shardPlan } from '../../src/pipeline/sharded-decide';
import { createVerifySelector } from '../../src/pipeline/verify-select';
import { createDecisionEngine, setupOf } from '../../src/policies/engine';
import { createVerifier } from '../../src/verify';
import { benchEngineOptions, benchGather, benchSigningKey, windowInputs } from './stage-two-setup';

export interface ShardInit {
  series: number;
  partitions: number;
  shard: number;
  shards: number;
}

/** A ShardWindow as it crosses to the main thread: candidates name their policy. */
export type WireWindow = Omit<ShardWindow, 'candidates'> & {
  candidates: (Omit<ShardWindow['candidates'][number], 'pc'> & {
    policy: string;
    cand: ShardWindow['candidates'][number]['pc']['cand'];
  })[];
};

export type ToShard =
  | { kind: 'generate'; w: number }
  | { kind: 'buffer' }
  | { kind: 'release'; pending: string[]; frame: WindowFrame }
  | { kind: 'settle'; settlement: Settlement }
  | { kind: 'revert'; reverts: Command[] };

export type FromShard =
  | { kind: 'generated'; finals: number }
  | { kind: 'buffered' }
  | { kind: 'released'; finals: number; window: WireWindow; verify: WindowSignal[] }
  | { kind: 'settled'; built: Built }
  | { kind: 'reverted' };

function main(init: ShardInit): void {
  const port = parentPort;
  if (port === null) throw new Error('stage-two shard: not in a worker thread');
  const opts = benchEngineOptions(benchSigningKey());
  const setup = setupOf(opts);
  const plan = shardPlan(setup, init.shards, (key) => hashShard(key, init.shards));
  const part = splitShardState(setup, plan, createDecisionEngine(opts).init()).parts[init.shard];
  const shard = createDecisionShard(setup, (e) => (plan.ownerOf(e) ?? init.shard) === init.shard, part);
  const select = createVerifySelector(createVerifier({}).config);
  const gather = benchGather(init.partitions);
  const out = emptyGatherOutputs();
  const all = Array<string>(init.partitions).fill('0');
  gather.step({ kind: 'offsets', high: all, committed: all }, out);
  const offset = { next: 0 };
  let inputs: { finals: GatherInput[]; marks: GatherInput[] } = { finals: [], marks: [] };
  const mine = (source: string) => plan.shardOfTarget('timeouts', source) === init.shard;

  port.on('message', (m: ToShard) => {
    const reply = (r: FromShard) => port.postMessage(r);
    if (m.kind === 'generate') {
      inputs = windowInputs(init.series, init.partitions, m.w, offset, mine);
      reply({ kind: 'generated', finals: inputs.finals.length });
    } else if (m.kind === 'buffer') {
      for (const input of inputs.finals) gather.step(input, out);
      reply({ kind: 'buffered' });
    } else if (m.kind === 'release') {
      for (const mark of inputs.marks) gather.step(mark, out);
      const finals = out.finals.filter((s) => !s.partial);
      out.finals.length = 0;
      out.published.length = 0;
      const w = shard.onWindow(m.frame, () => finals);
      const targets = new Set(m.pending);
      for (const c of w.candidates) targets.add(c.pc.cand.target);
      const window: WireWindow = {
        ...w,
        candidates: w.candidates.map(({ pc, ...rest }) => ({ ...rest, policy: pc.entry.cp.name, cand: pc.cand })),
      };
      reply({ kind: 'released', finals: finals.length, window, verify: select(finals, targets) });
    } else if (m.kind === 'settle') {
      reply({ kind: 'settled', built: shard.settle(m.settlement) });
    } else {
      for (const cmd of m.reverts) shard.revert(cmd);
      reply({ kind: 'reverted' });
    }
  });
}

main(workerData as ShardInit);
