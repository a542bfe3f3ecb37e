/** Leases and policies' states of any size, as the engine keeps them: for snapshot tests. */
import { createHash } from 'node:crypto';
import type { Lease } from '../../src/actions/leases';
import { leaseKey } from '../../src/actions/leases';
import { commandParams } from '../../src/codec';
import { initialControlState } from '../../src/guardrails/control';
import type { StageState } from '../../src/pipeline/decide';

export function lease(i: number): Lease {
  return {
    policy: 'adaptive-timeout',
    target: `payments-api-worker-${String(i).padStart(6, '0')}`,
    family: 'query_timeout',
    type: 'query_timeout.set',
    params: commandParams({ timeoutMs: 4000 }),
    mode: 'enforce',
    reason: `overloaded for 3 windows (queue.depth:mean ${100 + (i % 50)} > 50); timeout 8000 → 4000 ms (×0.5, multiplicative decrease) [canary group]`,
    evidence: [
      { signal: 'queue.depth:mean', value: 100 + (i % 50), threshold: 50, comparison: '>' },
      { signal: 'latency:p99', value: 1234.5 + i, threshold: 800, comparison: '>' },
    ],
    commandId: createHash('sha256').update(String(i)).digest('hex').slice(0, 32),
    windowStart: 1_700_000_000_000 + i,
    windowEnd: 1_700_000_010_000 + i,
    issuedAt: 1_700_000_010_000 + i,
    expiresAt: 1_700_000_040_000 + i,
    changedAt: 1_700_000_010_000 + i,
    setAt: 1_700_000_010_000 + i,
  };
}

export function stateWithLeases(n: number): StageState {
  const leases: Record<string, Lease> = {};
  const lastChange: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const l = lease(i);
    leases[leaseKey(l.policy, l.target, l.family)] = l;
    lastChange[`${l.policy}\u001f${l.target}`] = l.changedAt;
  }
  return {
    engine: {
      windowMs: 10_000,
      lastEventTime: 1_700_000_010_000,
      policies: {},
      guard: { control: initialControlState(), lastChange, breakers: {}, buckets: {} },
      leases,
    },
    verifier: null,
  };
}
