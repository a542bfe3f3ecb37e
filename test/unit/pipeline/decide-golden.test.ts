/**
 * The decision path's outputs, byte for byte, over a generated fleet: stage two's gather
 * (several partitions, scope partials merged) feeding the decision stage with four policies
 * (two adaptive timeouts — one absolute and enforced, one relative with an SLO in canary mode —
 * herd control and watermark quotas), guardrails that bind (rate limit, blast radius,
 * cooldown, lease caps), Ed25519 signing and verification with automatic reverts.
 *
 * The digests below were produced by the code before stage two's CPU per final was cut
 * (issue #21: grouping, lease lookups and verifier bookkeeping reworked for speed): the
 * work must change how fast the outputs come, never what they are. A digest that changes
 * means a command, decision, outcome, signal or snapshot changed — find out why before
 * touching it.
 */
import { createHash } from 'node:crypto';
import { resolveEngineConfig } from '../../../src/core';
import type { WindowSignal } from '../../../src/model/signal';
import { createDecisionStage, type DecideOutputs } from '../../../src/pipeline/decide';
import { createGather, emptyGatherOutputs, type GatherInput } from '../../../src/pipeline/gather';
import { createDecisionEngine, createPolicies } from '../../../src/policies';
import { createVerifier } from '../../../src/verify';
import { testSigningKey } from '../../helpers/keys';
// Deterministic: the workload is the same on every run.
import { mulberry32 as prng } from '../../../src/client/random';

const WINDOW_MS = 10_000;
const GRACE_MS = 1_000;
const T0 = 1_700_000_000_000;
const PARTITIONS = 4;
const WORKERS = 240;
const SERVICES = 12;
const TENANTS = 6;
const WINDOWS = 36;

function signal(
  scope: string,
  source: string,
  metric: string,
  tags: Record<string, string>,
  w: number,
  v: number,
  partition: number,
  partial = false,
): WindowSignal {
  const tagText = Object.keys(tags)
    .sort()
    .map((k) => `${k}=${tags[k]}`)
    .join(',');
  const start = T0 + w * WINDOW_MS;
  return {
    scope,
    key: scope === 'series' ? `${source}|${metric}|${tagText}` : `${scope}|${metric}|${tagText}`,
    source: scope === 'series' ? source : '',
    metric,
    tags,
    windowStart: start,
    windowEnd: start + WINDOW_MS,
    count: 20,
    sum: v * 20,
    min: v * 0.5,
    max: v * 1.5,
    mean: v,
    ratePerSec: (v * 20) / 10,
    p50: v,
    p90: v * 1.2,
    p99: v * 1.6,
    p999: v * 2,
    ewma: v,
    trend: 0,
    partial,
    partitions: [partition],
  };
}

/** Stage one's output for window w, shuffled across partitions as transactions interleave. */
function windowInputs(w: number, rnd: () => number, offset: { next: number }): GatherInput[] {
  const finals: WindowSignal[] = [];
  for (let i = 0; i < WORKERS; i++) {
    const source = `worker-${i}`;
    const service = `svc-${i % SERVICES}`;
    const p = i % PARTITIONS;
    // Waves of overload that move over the fleet, plus noise: cuts, holds, relaxes, reverts.
    const wave = Math.sin((i + w * 3) / 17) > 0.75 || (i * 7 + w) % 53 === 0;
    const depth = wave ? 40 + rnd() * 60 : rnd() * 15;
    const latency = (wave ? 900 : 120) * (0.6 + rnd());
    finals.push(signal('series', source, 'queue.depth', { service }, w, depth, p));
    finals.push(signal('series', source, 'query.latency_ms', { service }, w, latency, p));
    if (i % 3 === 0) finals.push(signal('series', source, 'timeout', { service }, w, 8000, p));
    const storm = ((i % SERVICES) + w) % 9 < 2;
    const requests = 50 + rnd() * 50;
    finals.push(signal('series', source, 'requests', { service }, w, requests, p));
    finals.push(signal('series', source, 'retries', { service }, w, requests * (storm ? 0.6 : 0.05 * rnd()), p));
    finals.push(signal('series', source, 'errors', { service }, w, requests * (storm ? 0.3 : 0.01), p));
  }
  // Tenant demand as scope finals, and a partial without a sketch (the merger refuses it).
  for (let t = 0; t < TENANTS; t++) {
    const tags = { tenant: `tenant-${t}` };
    const heavy = (t + Math.floor(w / 6)) % TENANTS === 0;
    const bytes = (heavy ? 1_600_000 : 240_000) * (0.8 + rnd() * 0.4) * (WINDOW_MS / 1000);
    finals.push(signal('tenant', '', 'tenant.bytes_in', tags, w, bytes / 20, t % PARTITIONS));
  }
  finals.push(signal('tenant', '', 'tenant.bytes_in', { tenant: 'tenant-0' }, w, 10, 1, true));
  finals.push(signal('cluster', '', 'cluster.capacity_bytes', {}, w, 1_000_000, 0));
  // Interleave: a deterministic shuffle, then each partition's mark past the window.
  for (let i = finals.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [finals[i], finals[j]] = [finals[j], finals[i]];
  }
  const end = T0 + (w + 1) * WINDOW_MS;
  const inputs: GatherInput[] = finals.map((signal) => ({ kind: 'signal', signal, offset: String(offset.next++) }));
  for (let p = 0; p < PARTITIONS; p++) {
    inputs.push({
      kind: 'mark',
      mark: { partition: p, wm: end + GRACE_MS, maxTs: end + GRACE_MS, next: String(w + 1) },
    });
  }
  return inputs;
}

const POLICIES = [
  {
    name: 'timeouts',
    type: 'adaptive-timeout',
    mode: 'enforce',
    select: { metric: 'queue.depth' },
    parameters: { high: { queueDepth: 50 }, low: { queueDepth: 10 }, defaultTimeoutMs: 8000, overloadWindows: 2 },
  },
  {
    name: 'timeouts-relative',
    type: 'adaptive-timeout',
    mode: 'canary',
    canary: { fraction: 0.5 },
    guardrails: { cooldownWindows: 2 },
    parameters: {
      high: { latencyMs: { ratio: 2.5, of: 'p90' }, queueDepth: null },
      low: { latencyMs: { deviations: 1, spread: 'mad' }, queueDepth: null },
      baseline: { windows: 16, warmupWindows: 4, maxFrozenWindows: 4 },
      slo: { latencyMs: 2000, objective: 0.9, pairs: [{ long: 6, short: 2, factor: 2 }] },
      overloadWindows: 1,
      defaultTimeoutMs: 'derive',
    },
  },
  { name: 'herd', type: 'herd-control', mode: 'enforce', parameters: { baseline: { minWindows: 3 }, stormWindows: 2 } },
  { name: 'quota', type: 'watermark-quota', mode: 'enforce', parameters: { demandScope: 'tenant' } },
];

const GUARDRAILS = {
  minConsecutiveWindows: 1,
  cooldownWindows: 1,
  rateLimit: { burst: 25, perWindow: 12 },
  blastRadius: { fraction: 0.2 },
  maxActiveLeases: 60,
  global: { rateLimit: { burst: 60, perWindow: 30 }, maxActiveLeases: 120 },
};

const bump = (counts: Record<string, number>, key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Runs the fleet through gather and the decision stage: a digest of every output and of each window's snapshot. */
function runFleet(): { outputs: string; snapshots: string; counts: Record<string, number> } {
  const engine = resolveEngineConfig({ window: { sizeMs: WINDOW_MS, graceMs: GRACE_MS }, idleAfterMs: 60_000 });
  const gather = createGather({ partitionCount: PARTITIONS, engine });
  const signing = testSigningKey('golden', 9);
  const decisions = createDecisionEngine({
    policies: createPolicies(POLICIES),
    guardrails: GUARDRAILS,
    modeOverride: null,
    signing,
  });
  const stage = createDecisionStage(decisions, {
    verifier: createVerifier({ windows: 3, maxPending: 40 }),
    signing,
  });
  const rnd = prng(21);
  const offset = { next: 0 };
  const out = emptyGatherOutputs();
  gather.step(
    { kind: 'offsets', high: Array<string>(PARTITIONS).fill('0'), committed: Array<string>(PARTITIONS).fill('0') },
    out,
  );
  const outputs = createHash('sha256');
  const snapshots = createHash('sha256');
  const counts: Record<string, number> = { published: 0, finals: 0, commands: 0, decisions: 0, outcomes: 0 };
  for (let w = 0; w < WINDOWS; w++) {
    for (const input of windowInputs(w, rnd, offset)) gather.step(input, out);
    const decided: DecideOutputs = { commands: [], decisions: [], outcomes: [] };
    stage.onFinals(out.finals, decided);
    outputs.update(JSON.stringify([out.published, out.finals, decided]));
    snapshots.update(JSON.stringify([stage.state(), gather.checkpoint()]));
    counts.published += out.published.length;
    counts.finals += out.finals.length;
    counts.commands += decided.commands.length;
    counts.decisions += decided.decisions.length;
    counts.outcomes += decided.outcomes?.length ?? 0;
    // What was decided, by policy, kind and guardrail: says where a difference is when the digest differs.
    for (const d of decided.decisions) bump(counts, `${d.policy}:${d.kind}:${d.guardrail ?? ''}`);
    for (const o of decided.outcomes ?? []) bump(counts, `outcome:${o.verdict}`);
    out.published.length = 0;
    out.finals.length = 0;
  }
  return { outputs: outputs.digest('hex'), snapshots: snapshots.digest('hex'), counts };
}

describe('the decision path over a generated fleet (golden digests from the code before the speed-up)', () => {
  const r = runFleet();

  it('exercises what it claims: commands, blocked decisions, outcomes', () => {
    expect(r.counts.commands).toBeGreaterThan(100);
    expect(r.counts.outcomes).toBeGreaterThan(10);
    expect(r.counts.decisions).toBeGreaterThan(r.counts.commands);
  });

  it('gives byte-identical signals, commands, decisions and outcomes', () => {
    expect({ counts: r.counts, outputs: r.outputs }).toEqual({ counts: GOLDEN.counts, outputs: GOLDEN.outputs });
  });

  it('leaves byte-identical snapshot state after every window', () => {
    expect(r.snapshots).toBe(GOLDEN.snapshots);
  });

  it('digests what it is given (a changed byte changes the digest)', () => {
    expect(digest('{"a":1}')).not.toBe(digest('{"a":2}'));
  });
});

/**
 * Produced by this file's runFleet on main at 0c5e88d, without the speed-up (first recorded at
 * 1e8914f; re-recorded when main's adaptive timeout learned to hold while a backlog drains,
 * which changes decisions on purpose). The branch with the speed-up merged gives the same.
 * Re-recorded on main when herd-control's first levels began to delay retries rather than
 * drop them (its decisions change on purpose); the sharded stage two merged on top gives the same.
 */
const GOLDEN = {
  counts: {
    published: 46368,
    finals: 46332,
    commands: 1837,
    decisions: 3105,
    outcomes: 649,
    'quota:acted:': 1,
    'quota:blocked:blast_radius': 175,
    'timeouts:acted:': 538,
    'timeouts:blocked:rate_limit': 98,
    'quota:renewed:': 17,
    'timeouts:renewed:': 463,
    'outcome:inconclusive': 649,
    'herd:acted:': 22,
    'timeouts:reverted:': 56,
    'timeouts-relative:control:': 437,
    'timeouts-relative:acted:': 174,
    'herd:blocked:blast_radius': 20,
    'herd:renewed:': 20,
    'timeouts-relative:blocked:cooldown': 267,
    'herd:reverted:': 20,
    'timeouts:blocked:blast_radius': 354,
    'timeouts-relative:blocked:rate_limit': 207,
    'timeouts-relative:renewed:': 108,
    'timeouts:escalated:circuit_breaker': 15,
    'timeouts-relative:reverted:': 86,
    'timeouts:blocked:circuit_breaker': 7,
    'timeouts-relative:blocked:blast_radius': 20,
  },
  outputs: 'a50290060d20d21ad62b40ae833ca7f779cf2eb8debe6ac7d4a01944a133b17e',
  snapshots: 'a51a521e2be7f253a9d6fa51bb67cddf98a311e263b98517162d9ced71a010c3',
};
