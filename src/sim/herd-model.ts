/**
 * The simulated service and clients of scenario 2 (thundering herd).
 *
 * - N clients each make logical requests as a Poisson process (its rate may follow a load
 *   profile, load.ts); every request runs the
 *   client library's retry loop: the same sequence as `Retrier.run` (src/client/retrier.ts)
 *   — deposit into the retry budget, attempt, on failure check attempts, draw the backoff
 *   with `nextBackoff`, check the deadline, withdraw from the budget, sleep — written out
 *   as events on simulated time instead of promises. The policy in force comes from a real
 *   `Retrier` per client (`createRetrier` on the simulated clock), to which commands are
 *   applied with `applyRetryPolicyCommand`: leases, lapses and validation are the library's.
 * - The service has I instances behind a random balancer, each a token bucket of its share
 *   of the capacity. An attempt that finds no token is rejected, and a rejection is not
 *   free: it costs `rejectCost` of a token (parsing, auth, logging, the connection) — so
 *   when retries far outnumber the capacity, the service spends itself on saying no, and
 *   fewer attempts succeed the more there are: the metastable retry storm of Bronson et
 *   al., "Metastable Failures in Distributed Systems", HotOS 2021.
 * - During the outage every attempt fails fast.
 * - Instances count attempts, retries (clients mark them, like gRPC's
 *   `grpc-previous-rpc-attempts` header) and errors; that is their telemetry.
 */
import { initialBackoffState, nextBackoff, type BackoffState } from '../client/backoff';
import {
  createRetryBudgetState,
  depositRequest,
  reconfigureRetryBudget,
  tryWithdrawRetry,
  type RetryBudgetState,
} from '../client/budget';
import type { RetryPolicy } from '../client/policy';
import { createRandom, deriveSeed, type RandomFn } from '../client/random';
import { createRetrier, type Retrier } from '../client/retrier';
import type { Telemetry } from '../model/telemetry';
import { createEventQueue } from './events';
import { FLAT, nextArrivalAt, type Profile } from './load';

export interface HerdParams {
  clients: number;
  /** Logical requests per second per client. */
  requestRatePerClient: number;
  instances: number;
  /** Attempts per second the whole service can serve. */
  capacityPerSec: number;
  /** Token bucket depth, as ms of capacity. */
  burstMs: number;
  /** Tokens a rejected attempt costs (0 = rejections are free). */
  rejectCost: number;
  successLatencyMs: number;
  errorLatencyMs: number;
  /** Outage interval, ms after the start. */
  outageStartMs: number;
  outageEndMs: number;
  /** The clients' own retry policy (their baseline, which leases override). */
  clientPolicy: Partial<RetryPolicy>;
  /** Deadline of a logical request, ms. */
  deadlineMs: number;
  /** Each client's request rate over time, as a multiplier of `requestRatePerClient` (load.ts); flat when absent. */
  profile?: Profile;
}

export const SERVICE = 'api';

interface Req {
  client: number;
  start: number;
  attempt: number;
  backoff: BackoffState;
}

interface Client {
  retrier: Retrier;
  random: RandomFn;
  budget: RetryBudgetState;
  policy: Readonly<RetryPolicy>;
}

interface Instance {
  id: string;
  tokens: number;
  last: number;
  requests: number;
  retries: number;
  errors: number;
}

type Ev =
  { kind: 'request'; client: number } | { kind: 'attempt'; req: Req } | { kind: 'response'; req: Req; ok: boolean };

export interface HerdTruth {
  attempts: Float64Array;
  retries: Float64Array;
  errors: Float64Array;
  started: Float64Array;
  succeeded: Float64Array;
  gaveUp: Float64Array;
  gaveUpBy: { attempts: number; budget: number; deadline: number };
  /** Latency of each successful logical request (first attempt to success). */
  latency: number[];
}

export interface HerdModel {
  advance(t: number): Telemetry[];
  /** The clients of the service (an executor pushes a policy to all of them). */
  readonly retriers: readonly Retrier[];
  readonly truth: HerdTruth;
}

export function createHerdModel(p: HerdParams, startMs: number, seconds: number, seed: number): HerdModel {
  let now = startMs;
  const clock = { now: () => now };
  const rnd = createRandom(deriveSeed(seed, 1));
  const clients = createClients(p, seed, clock, now);
  const perInstance = p.capacityPerSec / p.instances;
  const burst = (perInstance * p.burstMs) / 1000;
  const instances: Instance[] = Array.from({ length: p.instances }, (_, i) => ({
    id: `${SERVICE}-${i + 1}`,
    tokens: burst,
    last: startMs,
    requests: 0,
    retries: 0,
    errors: 0,
  }));
  const truth = emptyTruth(seconds);
  const sec = (t: number): number => Math.min(seconds - 1, Math.max(0, Math.floor((t - startMs) / 1000)));
  const outageStart = startMs + p.outageStartMs;
  const outageEnd = startMs + p.outageEndMs;
  const events = createEventQueue<Ev>();
  const profile = p.profile ?? FLAT;
  const nextRequest = (c: Client, from: number): number =>
    nextArrivalAt(c.random, from, p.requestRatePerClient / 1000, profile, startMs);
  clients.forEach((c, i) => events.push(nextRequest(c, startMs), { kind: 'request', client: i }));

  /** The policy in force (a lapsed lease reverts inside the retrier); the budget follows it. */
  function policyOf(c: Client): Readonly<RetryPolicy> {
    const policy = c.retrier.policy();
    if (policy !== c.policy) {
      c.budget = reconfigureRetryBudget(c.budget, budgetOf(policy), now);
      c.policy = policy;
    }
    return policy;
  }

  function serve(req: Req): boolean {
    const inst = instances[Math.floor(rnd() * instances.length)];
    const s = sec(now);
    inst.requests++;
    truth.attempts[s]++;
    if (req.attempt > 0) {
      inst.retries++;
      truth.retries[s]++;
    }
    let ok = false;
    if (now < outageStart || now >= outageEnd) ok = admit(inst, now, perInstance, burst, p.rejectCost);
    else inst.last = now;
    if (!ok) {
      inst.errors++;
      truth.errors[s]++;
    }
    return ok;
  }

  function giveUp(why: keyof HerdTruth['gaveUpBy']): void {
    truth.gaveUp[sec(now)]++;
    truth.gaveUpBy[why]++;
  }

  function onFailure(req: Req): void {
    const c = clients[req.client];
    const policy = policyOf(c);
    if (req.attempt + 1 >= policy.maxAttempts) return giveUp('attempts');
    const step = nextBackoff(req.backoff, { params: policy, attempt: req.attempt }, c.random);
    if (now + step.delayMs >= req.start + p.deadlineMs) return giveUp('deadline');
    const w = tryWithdrawRetry(c.budget, now);
    c.budget = w.state;
    if (!w.allowed) return giveUp('budget');
    events.push(now + step.delayMs, {
      kind: 'attempt',
      req: { ...req, attempt: req.attempt + 1, backoff: step.state },
    });
  }

  function handle(ev: Ev): void {
    switch (ev.kind) {
      case 'request': {
        const c = clients[ev.client];
        const policy = policyOf(c);
        c.budget = depositRequest(c.budget, now);
        truth.started[sec(now)]++;
        handle({
          kind: 'attempt',
          req: { client: ev.client, start: now, attempt: 0, backoff: initialBackoffState(policy) },
        });
        events.push(nextRequest(c, now), { kind: 'request', client: ev.client });
        break;
      }
      case 'attempt': {
        const ok = serve(ev.req);
        events.push(now + (ok ? p.successLatencyMs : p.errorLatencyMs), { kind: 'response', req: ev.req, ok });
        break;
      }
      case 'response':
        if (ev.ok) {
          truth.succeeded[sec(now)]++;
          truth.latency.push(now - ev.req.start);
        } else onFailure(ev.req);
        break;
    }
  }

  return {
    retriers: clients.map((c) => c.retrier),
    truth,
    advance(t) {
      while (events.peekTime() < t) {
        const { t: at, event } = events.pop() as { t: number; event: Ev };
        now = at;
        handle(event);
      }
      now = t;
      return drainInstances(instances, t - 1);
    },
  };
}

/** The service's clients, each with its own retrier and random stream, its budget on its policy. */
function createClients(p: HerdParams, seed: number, clock: { now: () => number }, now: number): Client[] {
  return Array.from({ length: p.clients }, (_, i) => {
    const retrier = createRetrier(p.clientPolicy, { clock, random: createRandom(deriveSeed(seed, 1000 + i)) });
    const policy = retrier.policy();
    return {
      retrier,
      random: createRandom(deriveSeed(seed, 100_000 + i)),
      budget: createRetryBudgetState(budgetOf(policy), now),
      policy,
    };
  });
}

/** Ground-truth series of `seconds` one-second slots, all zero. */
function emptyTruth(seconds: number): HerdTruth {
  return {
    attempts: new Float64Array(seconds),
    retries: new Float64Array(seconds),
    errors: new Float64Array(seconds),
    started: new Float64Array(seconds),
    succeeded: new Float64Array(seconds),
    gaveUp: new Float64Array(seconds),
    gaveUpBy: { attempts: 0, budget: 0, deadline: 0 },
    latency: [],
  };
}

/**
 * An instance's token bucket outside the outage: refills at its share of capacity up to the
 * burst; a request takes a token, and a rejection costs `rejectCost` of one (down to -burst).
 */
function admit(inst: Instance, now: number, perInstance: number, burst: number, rejectCost: number): boolean {
  inst.tokens = Math.min(burst, inst.tokens + ((now - inst.last) * perInstance) / 1000);
  inst.last = now;
  if (inst.tokens >= 1) {
    inst.tokens -= 1;
    return true;
  }
  inst.tokens = Math.max(-burst, inst.tokens - rejectCost);
  return false;
}

/** Each instance's request, retry and error counts since the last call, as telemetry at `ts`; counts restart. */
function drainInstances(instances: Instance[], ts: number): Telemetry[] {
  const out: Telemetry[] = [];
  for (const inst of instances) {
    const tags = { service: SERVICE };
    out.push({ ts, source: inst.id, metric: 'requests', value: inst.requests, tags });
    out.push({ ts, source: inst.id, metric: 'retries', value: inst.retries, tags });
    out.push({ ts, source: inst.id, metric: 'errors', value: inst.errors, tags });
    inst.requests = 0;
    inst.retries = 0;
    inst.errors = 0;
  }
  return out;
}

function budgetOf(p: Readonly<RetryPolicy>): { ratio: number; floorPerSec: number; ttlMs: number } {
  return { ratio: p.budgetRatio, floorPerSec: p.budgetFloorPerSec, ttlMs: p.budgetTtlMs };
}
