/**
 * Every knob of the closed-loop simulations that belongs to homeostat (not to the simulated
 * systems): engine windows, policy parameters and guardrails, as the plain objects a user
 * would write in YAML. They go through the real parsing of src/core and src/policies
 * (createPolicies / createDecisionEngine), so a value the schema refuses fails the run.
 *
 * Choices common to the three scenarios:
 * - Windows of 2 s (tumbling), watermark out-of-orderness 200 ms and grace 300 ms: the
 *   simulated telemetry arrives in order once a second, so a window closes at the first
 *   flush after its end; the control delay is then one window plus one flush (≤ 3 s), which
 *   is what makes a 60–90 s disturbance worth remedying. Production defaults (10 s windows,
 *   2 s out-of-orderness) work the same way on a longer time scale.
 * - Leases of 5 windows (10 s), renewed when at most 3 windows (6 s) remain: a renewal
 *   issued at a window end reaches the executor one flush later, well before the lease
 *   lapses. With the defaults (3 windows, renew at 1) and a one-second flush on 2 s windows a
 *   renewal could arrive exactly at expiry — a lapse and re-set, which the flap count would show.
 * - Two partitions, so the stage-two scope merge (tenant, cluster, service) really merges.
 */
import type { EngineConfigInput } from '../core';

export const WINDOW_MS = 2_000;

export function simEngineConfig(): EngineConfigInput {
  return {
    window: { sizeMs: WINDOW_MS, graceMs: 300 },
    allowedOutOfOrdernessMs: 200,
    // A silent partition stops holding the watermark after 5 windows (none is silent here).
    idleAfterMs: 10_000,
    zeroFillWindows: 3,
  };
}

export const SIM_PARTITIONS = 2;

/** Lease timing shared by every policy (see the header). */
const LEASE = { windows: 5, renewBeforeWindows: 3 };

/**
 * Scenario 1, `adaptive-timeout` on each worker.
 * - Overload = mean queue depth over a window above 20 (a worker with 4 slots and a healthy
 *   ~55% utilisation averages 1–2 queued), or p99 latency of completed queries above 1.5 s
 *   (three quarters of the clients' 2 s deadline: the tail is about to miss it). Calm = queue
 *   below 4 and p99 below 900 ms (the slowest healthy worker's p99 is ~600 ms).
 * - Default (restored) timeout 10 s: the workers' configured timeout, which knows nothing of
 *   the client deadline — that is the point.
 * - decreaseFactor 0.4: from 10 s the cuts go 4 s, 1.6 s, 640 ms, 256 ms; three cuts already
 *   put the timeout below the client deadline, so the worker stops spending capacity on
 *   answers nobody waits for. 0.5 (TCP's) takes one more cut.
 * - increaseStepMs 500: the additive probe; it takes ~20 calm windows (40 s) to climb back
 *   from the floor to the default — the way back is deliberately slower than the way down.
 * - minTimeoutMs 150: below the median query cost × a few, cutting further would shed the
 *   body of the distribution, not its tail.
 * - Guardrails: blast radius 100% (the whole fleet sees the same surge; the default 10% of
 *   8 workers would let homeostat help one worker at a time), the breaker at 8 actions
 *   without recovery (the descent needs 4–5 cuts and the additive probes in between count
 *   as recoveries), rate limit left at its default (10 burst, 2/window).
 */
export function workersPolicy(): unknown {
  return {
    name: 'worker-timeouts',
    type: 'adaptive-timeout',
    mode: 'enforce',
    parameters: {
      high: { queueDepth: 20, inflight: null, latencyMs: 1500 },
      low: { queueDepth: 4, inflight: null, latencyMs: 900 },
      overloadWindows: 2,
      calmWindows: 3,
      defaultTimeoutMs: 10_000,
      decreaseFactor: 0.4,
      increaseStepMs: 500,
      minTimeoutMs: 150,
      maxTimeoutMs: 60_000,
    },
    guardrails: {
      blastRadius: { fraction: 1 },
      circuitBreaker: { maxActionsWithoutRecovery: 8 },
      lease: LEASE,
    },
  };
}

/**
 * Scenario 2, `herd-control` on the service's clients.
 * - Storm = retries above 20% of requests for 2 windows (the library default), or requests
 *   above 3× the learned baseline.
 * - Level 0 pushes full jitter (Brooker 2015), base 200 ms, cap 10 s, 3 attempts, and a
 *   budget of 10% of requests plus 0.1 retries/s per client. The floor is per client: the
 *   Finagle default of 10/s is meant for one busy client, and 200 clients × 10/s would
 *   allow 2 000 retries/s — more than six times the service's capacity.
 * - Escalation doubles base and cap and halves the ratio, up to base 1.6 s, cap 60 s, 2.5%.
 */
export function herdPolicy(): unknown {
  return {
    name: 'api-herd',
    type: 'herd-control',
    mode: 'enforce',
    parameters: {
      stormWindows: 2,
      relaxWindows: 3,
      calmWindows: 5,
      initial: { strategy: 'full', baseMs: 200, capMs: 10_000, maxAttempts: 3, budgetRatio: 0.1, budgetFloorPerSec: 0.1 },
      limits: { maxBaseMs: 1_600, maxCapMs: 60_000, minBudgetRatio: 0.025 },
    },
    guardrails: { lease: LEASE },
  };
}

/**
 * Scenario 3, `watermark-quota` on the tenants.
 * - Watermarks 85% / 70% of capacity (Elasticsearch's disk watermarks use the same shape);
 *   throttled tenants are given weighted max-min fair shares of 77.5% (midway), so that
 *   throttled load sits inside the band and can neither re-trip the high watermark nor
 *   release — the Schmitt trigger that prevents flapping.
 * - Weights: tenant `alpha` pays for twice the share of the others.
 * - Capacity: the brokers' `cluster.capacity_bytes` gauges summed (each reports its own).
 * - minHoldMs 30 s: hold a quota at least that long before releasing it in steps of 5% of
 *   capacity per calm window.
 */
export const TENANT_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({ alpha: 2 });

export function tenantsPolicy(): unknown {
  return {
    name: 'tenant-quotas',
    type: 'watermark-quota',
    mode: 'enforce',
    parameters: {
      highWatermark: 0.85,
      lowWatermark: 0.7,
      capacityCombine: 'sum',
      weights: { ...TENANT_WEIGHTS },
      overWindows: 2,
      underWindows: 2,
      minHoldMs: 30_000,
      relaxStepFraction: 0.05,
    },
    guardrails: { lease: LEASE },
  };
}

/** The global guardrails section: defaults (rate limits and lease caps far above what the scenarios need). */
export function simGuardrails(): unknown {
  return {};
}
