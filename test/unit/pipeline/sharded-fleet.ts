/**
 * Random fleets for the sharded stage two's properties (sharded-decide.properties.test.ts,
 * split-nodes.properties.test.ts): adaptive-timeout, herd-control and watermark-quota over
 * workers whose load, herds and tenants change window by window, binding guardrails,
 * control records, canary mode and verification.
 */
import fc from 'fast-check';
import type { ControlRecord } from '../../../src/guardrails/control';
import type { WindowSignal } from '../../../src/model/signal';
import { createPolicies, type DecisionEngineOptions } from '../../../src/policies';
import { createVerifier } from '../../../src/verify';
import { sig } from '../policies/fixtures';
import { testSigningKey } from '../../helpers/keys';
import { QUICK_HERD, QUICK_TIMEOUT } from '../../helpers/quick-policies';

/** JSON with object keys sorted: states are equal as data, whatever order their keys were inserted in. */
export function canonical(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

export interface Scenario {
  workers: number;
  services: number;
  windows: number;
  /** Per window and worker: 0 silent, 1 calm, 2 busy, 3 overloaded. */
  load: number[][];
  /** Per window and service: a herd (retries far above the usual share) or not. */
  herd: boolean[][];
  tenants: number[][];
  controls: { at: number; kind: ControlRecord['kind']; policy: number; target: number; mode: number }[];
  guard: { fraction: number; burst: number; gburst: number; leases: number; gleases: number; cooldown: number };
  leaseWindows: number;
  canary: boolean;
}

export const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    workers: fc.integer({ min: 2, max: 24 }),
    services: fc.integer({ min: 1, max: 4 }),
    windows: fc.integer({ min: 4, max: 14 }),
  })
  .chain(({ workers, services, windows }) =>
    fc.record({
      workers: fc.constant(workers),
      services: fc.constant(services),
      windows: fc.constant(windows),
      load: fc.array(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: workers, maxLength: workers }), {
        minLength: windows,
        maxLength: windows,
      }),
      herd: fc.array(fc.array(fc.boolean(), { minLength: services, maxLength: services }), {
        minLength: windows,
        maxLength: windows,
      }),
      tenants: fc.array(fc.array(fc.integer({ min: 0, max: 900 }), { minLength: 3, maxLength: 3 }), {
        minLength: windows,
        maxLength: windows,
      }),
      controls: fc.array(
        fc.record({
          at: fc.integer({ min: 0, max: windows - 1 }),
          kind: fc.constantFrom<ControlRecord['kind']>(
            'kill',
            'unkill',
            'pause',
            'resume',
            'mode',
            'exclude',
            'include',
          ),
          policy: fc.integer({ min: 0, max: 3 }),
          target: fc.integer({ min: 0, max: workers }),
          mode: fc.integer({ min: 0, max: 2 }),
        }),
        { maxLength: 4 },
      ),
      guard: fc.record({
        fraction: fc.constantFrom(0.1, 0.25, 0.5, 1),
        burst: fc.integer({ min: 1, max: 5 }),
        gburst: fc.integer({ min: 1, max: 8 }),
        leases: fc.integer({ min: 1, max: 12 }),
        gleases: fc.integer({ min: 2, max: 20 }),
        cooldown: fc.integer({ min: 0, max: 2 }),
      }),
      leaseWindows: fc.integer({ min: 2, max: 4 }),
      canary: fc.boolean(),
    }),
  );

const POLICIES = ['at', 'herd', 'wq'];
const MODES = ['shadow', 'canary', 'enforce'] as const;
const DEPTH = [0, 5, 30, 120];

export function finalsOf(s: Scenario, i: number): WindowSignal[] {
  const out: WindowSignal[] = [];
  for (let k = 0; k < s.workers; k++) {
    const level = s.load[i][k];
    if (level === 0) continue; // silent: its lease is not renewed and lapses
    const source = `w${k}`;
    const service = `svc${k % s.services}`;
    out.push(sig({ metric: 'queue.depth', value: DEPTH[level] + k, i, source }));
    const requests = 100 + (s.herd[i][k % s.services] ? 300 : 0);
    const retries = s.herd[i][k % s.services] ? 150 : 2;
    out.push(sig({ metric: 'requests', value: requests, i, source, tags: { service } }));
    out.push(sig({ metric: 'retries', value: retries, i, source, tags: { service } }));
  }
  out.push(sig({ metric: 'cluster.capacity_bytes', value: 1000, i, scope: 'cluster', tags: {} }));
  s.tenants[i].forEach((rate, t) =>
    out.push(
      sig({
        metric: 'tenant.bytes_in',
        value: rate * 10,
        ratePerSec: rate,
        i,
        scope: 'tenant',
        tags: { tenant: `t${t}` },
      }),
    ),
  );
  return out;
}

export function controlsAt(s: Scenario, i: number, seq: { n: number }): ControlRecord[] {
  return s.controls
    .filter((c) => c.at === i)
    .map((c) => ({
      kind: c.kind,
      policy: c.kind === 'kill' || c.policy === 3 ? null : POLICIES[c.policy],
      target: c.kind === 'exclude' || c.kind === 'include' ? (c.target === s.workers ? null : `w${c.target}`) : null,
      mode: c.kind === 'mode' ? MODES[c.mode] : null,
      issuedBy: 'sre@example',
      issuedAt: ++seq.n,
      reason: 'property',
    }));
}

export function optionsOf(s: Scenario): DecisionEngineOptions {
  const mode = s.canary ? 'canary' : 'enforce';
  const policies = createPolicies([
    {
      name: 'at',
      type: 'adaptive-timeout',
      mode,
      maxControlMode: 'enforce',
      parameters: QUICK_TIMEOUT,
    },
    {
      name: 'herd',
      type: 'herd-control',
      mode,
      parameters: QUICK_HERD,
    },
    { name: 'wq', type: 'watermark-quota', mode: 'enforce', parameters: {} },
  ]);
  const g = s.guard;
  return {
    policies,
    signing: testSigningKey('shards', 21),
    guardrails: {
      minConsecutiveWindows: 1,
      cooldownWindows: g.cooldown,
      blastRadius: { fraction: g.fraction, min: 1 },
      rateLimit: { burst: g.burst, perWindow: 1 },
      maxActiveLeases: g.leases,
      lease: { windows: s.leaseWindows, renewBeforeWindows: 1 },
      circuitBreaker: { maxActionsWithoutRecovery: 3 },
      global: { rateLimit: { burst: g.gburst, perWindow: 2 }, maxActiveLeases: g.gleases },
    },
  };
}

export const verifierFor = () => createVerifier({ windows: 2 });
