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
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../client/policy';
import type { EngineConfigInput } from '../core';
import { adaptiveTimeoutParamsSchema, herdControlParamsSchema, watermarkQuotaParamsSchema } from '../policies';

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
 * The policies run on their documented defaults (docs/policies.md), the same in every
 * scenario and every variant of docs/simulation.md's study: what a user gets who writes
 * only a name, a type and a mode. The only keys set are facts of the simulated systems
 * that a user would have to state too — which tenant pays for a double share, and that
 * the brokers report their own capacities (to be summed) — plus the lease timing above.
 */

/** `adaptive-timeout` on each worker, on defaults. */
export function workersPolicy(): unknown {
  return {
    name: 'worker-timeouts',
    type: 'adaptive-timeout',
    mode: 'enforce',
    parameters: {},
    guardrails: { lease: LEASE },
  };
}

/** The clients' own retry policy as herd-control's `initial` (its level 0) states it. */
export type HerdInitial = Pick<
  RetryPolicy,
  'strategy' | 'baseMs' | 'capMs' | 'maxAttempts' | 'budgetRatio' | 'budgetFloorPerSec'
>;

/**
 * `herd-control` on the service's clients, on defaults but for `initial`: the retry policy the clients run (a fact of
 * the simulated system a user states too — level 0 is theirs, and the loop escalates from it and reverts to it).
 */
export function herdPolicy(clients: Partial<RetryPolicy> = DEFAULT_RETRY_POLICY): unknown {
  const c = { ...DEFAULT_RETRY_POLICY, ...clients };
  const initial: HerdInitial = {
    strategy: c.strategy,
    baseMs: c.baseMs,
    capMs: c.capMs,
    maxAttempts: c.maxAttempts,
    budgetRatio: c.budgetRatio,
    budgetFloorPerSec: c.budgetFloorPerSec,
  };
  return {
    name: 'api-herd',
    type: 'herd-control',
    mode: 'enforce',
    parameters: { initial },
    guardrails: { lease: LEASE },
  };
}

/** Tenant `alpha` pays for twice the share of the others (a fact of the simulated cluster). */
export const TENANT_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({ alpha: 2 });

/** `watermark-quota` on the tenants, on defaults but for the weights and how capacities combine. */
export function tenantsPolicy(): unknown {
  return {
    name: 'tenant-quotas',
    type: 'watermark-quota',
    mode: 'enforce',
    parameters: { weights: { ...TENANT_WEIGHTS }, capacityCombine: 'sum' },
    guardrails: { lease: LEASE },
  };
}

const paramsOf = (policy: unknown): unknown => (policy as { parameters: unknown }).parameters;

/** The parameters each policy runs with, defaults filled (watermarks and limits for charts and executor bounds). */
export const workersPolicyParams = () => adaptiveTimeoutParamsSchema.parse(paramsOf(workersPolicy()));
export const herdPolicyParams = (clients?: Partial<RetryPolicy>) =>
  herdControlParamsSchema.parse(paramsOf(herdPolicy(clients)));
export const tenantsPolicyParams = () => watermarkQuotaParamsSchema.parse(paramsOf(tenantsPolicy()));

/** The global guardrails section: defaults (rate limits and lease caps far above what the scenarios need). */
export function simGuardrails(): unknown {
  return {};
}
