/**
 * The workload and configuration of bench/stage-two.ts, shared by its single-stage child,
 * its sharded child (bench/stage-two-shards.ts) and the shard workers, so that all of them
 * decide the same fleet with the same policy and guardrails.
 */
import { loadSigningKey } from '../../src/actions/keys';
import type { SigningKey } from '../../src/actions/signing';
import { resolveEngineConfig } from '../../src/core';
import type { WindowSignal } from '../../src/model/signal';
import { createGather, type GatherInput } from '../../src/pipeline/gather';
import { createPolicies, type DecisionEngineOptions } from '../../src/policies';

export const WINDOW_MS = 10_000;
export const GRACE_MS = 1_000;
export const T0 = 1_700_000_000_000 - (1_700_000_000_000 % WINDOW_MS);

export function benchSigningKey(): SigningKey {
  return loadSigningKey({
    keyId: 'bench',
    env: { HOMEOSTAT_SIGNING_KEY: `base64:${Buffer.alloc(32, 7).toString('base64')}` },
  });
}

/** The adaptive timeout of bench/latency.ts in enforce mode, with guardrails opened so that they measure work. */
export function benchEngineOptions(signing: SigningKey | null): DecisionEngineOptions {
  const policies = createPolicies([
    {
      name: 'timeouts',
      type: 'adaptive-timeout',
      mode: 'enforce',
      select: { metric: 'queue.depth' },
      parameters: { high: { queueDepth: 50 }, low: { queueDepth: 10 }, defaultTimeoutMs: 8000, overloadWindows: 1 },
    },
  ]);
  const guardrails = {
    minConsecutiveWindows: 1,
    cooldownWindows: 0,
    rateLimit: { burst: 1_000_000, perWindow: 1_000_000 },
    blastRadius: { fraction: 1 },
    circuitBreaker: { maxActionsWithoutRecovery: 1_000_000 },
    // The default lease caps (1000 a policy, 10k in all) would block all but the first
    // windows' commands at these sizes: the study measures the work, not the caps.
    maxActiveLeases: 1_000_000,
    global: { rateLimit: { burst: 1_000_000, perWindow: 1_000_000 }, maxActiveLeases: 1_000_000 },
  };
  return { policies, guardrails, modeOverride: 'enforce', signing };
}

export function benchGather(partitions: number) {
  const engine = resolveEngineConfig({ window: { sizeMs: WINDOW_MS, graceMs: GRACE_MS }, idleAfterMs: 60_000 });
  return createGather({ partitionCount: partitions, engine });
}

/** A series final of the fleet's shape: `source`'s queue depth over the window from `start`. */
export function benchFinal(source: string, start: number, depth: number, partitions: number[]): WindowSignal {
  return {
    scope: 'series',
    key: `${source}|queue.depth|`,
    source,
    metric: 'queue.depth',
    tags: {},
    windowStart: start,
    windowEnd: start + WINDOW_MS,
    count: 20,
    sum: depth * 20,
    min: depth,
    max: depth,
    mean: depth,
    ratePerSec: (depth * 20) / 10,
    p50: depth,
    p90: depth,
    p99: depth,
    p999: depth,
    ewma: depth,
    trend: 0,
    partial: false,
    partitions,
  };
}

/**
 * Stage one's output for window w: the final of every series `keep` accepts (all by
 * default; a shard keeps the series it owns), then each partition's mark.
 */
export function windowInputs(
  series: number,
  partitions: number,
  w: number,
  offset: { next: number },
  keep: (source: string) => boolean = () => true,
): { finals: GatherInput[]; marks: GatherInput[] } {
  const start = T0 + w * WINDOW_MS;
  const end = start + WINDOW_MS;
  const finals: GatherInput[] = [];
  const partitionLists = [...Array(partitions).keys()].map((p) => [p]);
  for (let i = 0; i < series; i++) {
    const source = `worker-${i}`;
    if (!keep(source)) continue;
    const overloaded = (i + w * 7919) % 100 === 0;
    const depth = overloaded ? 80 : 5;
    const signal = benchFinal(source, start, depth, partitionLists[i % partitions]);
    finals.push({ kind: 'signal', signal, offset: String(offset.next++) });
  }
  const marks: GatherInput[] = [];
  for (let p = 0; p < partitions; p++) {
    marks.push({
      kind: 'mark',
      mark: { partition: p, wm: end + GRACE_MS, maxTs: end + GRACE_MS, next: String(w + 1) },
    });
    offset.next++;
  }
  return { finals, marks };
}
