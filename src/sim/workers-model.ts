/**
 * The simulated worker pool of scenario 1 (overloaded workers): W workers, each with
 * `slots` execution slots, a FIFO queue, a hidden speed, and a query timeout that
 * homeostat may change (`query_timeout.set`).
 *
 * - Arrivals: one Poisson stream routed uniformly at random to the workers (hash routing:
 *   the balancer does not know the workers' speeds); its rate follows the load profile
 *   (load.ts) — by default a step up during the surge.
 * - Cost: log-normal (median 20 ms, σ 1.3 by default: p99 ≈ 0.4 s, p99.9 ≈ 1.1 s, and the
 *   2.6% of queries above 250 ms carry a quarter of the work); service time = cost / speed.
 * - Timeout, of one of two kinds (`timeoutFrom`):
 *   - `'arrival'`, a deadline-aware worker (gRPC deadline propagation): a query whose time in
 *     system (queue + service) reaches the worker's current timeout is dropped — from the queue
 *     if still waiting (it costs nothing), or aborted in its slot (the slot is freed at that
 *     moment). The current timeout applies to queries already admitted too, as a per-worker
 *     deadline check does. With timeout = the clients' deadline no work is wasted by construction.
 *   - `'start'`, a statement timeout (PostgreSQL `statement_timeout`, "measured from the time a
 *     command arrives at the server", i.e. once a pooled connection hands it over; MySQL
 *     `max_execution_time`; Elasticsearch's search `timeout`): the clock starts when the query
 *     starts executing in a slot, and the timer is armed with the timeout in force then (a
 *     change applies to the queries started after it). Queries wait in the worker's FIFO
 *     backlog (a connection pool's queue) with no timeout and are run even after their client
 *     gave up — the clients' deadline includes the wait, the worker's timeout does not. This is
 *     the overload adaptive timeouts are for: the backlog fills with answers nobody will read,
 *     and only shedding long queries frees the slots.
 * - The client gives up after `clientDeadlineMs`: a query completed later counts as failed
 *   (the worker did the work for nobody). Goodput = queries completed within the deadline.
 */
import type { Telemetry } from '../model/telemetry';
import type { RandomFn } from '../client/random';
import { logNormal } from './dist';
import { createEventQueue } from './events';
import { nextArrivalAt, stepProfile, type Profile } from './load';

/** The two kinds of worker timeout (see the header). */
export type TimeoutFrom = 'arrival' | 'start';

export interface WorkersParams {
  workers: number;
  slots: number;
  /** Hidden speeds are spread evenly over [speedMin, speedMax] and shuffled by the seed. */
  speedMin: number;
  speedMax: number;
  costMedianMs: number;
  costSigma: number;
  /** Offered load before the surge, as a fraction of the fleet's capacity. */
  baseUtilization: number;
  surgeFactor: number;
  /** Surge interval, ms after the start. */
  surgeStartMs: number;
  surgeEndMs: number;
  defaultTimeoutMs: number;
  /** What the worker's timeout counts from (see the header): the query's arrival, or the start of its execution. */
  timeoutFrom: TimeoutFrom;
  clientDeadlineMs: number;
  /**
   * The offered load over time as a multiplier of the base rate; when absent, a step to
   * `surgeFactor` over the surge interval (stepProfile).
   */
  profile?: Profile;
}

interface Query {
  arrival: number;
  service: number;
}

interface Running {
  q: Query;
  start: number;
  end: number;
  token: number;
  timedOut: boolean;
}

interface Worker {
  id: string;
  speed: number;
  timeoutMs: number;
  queue: Query[];
  head: number;
  slots: (Running | null)[];
  timeouts: number;
  latencies: Telemetry[];
}

type Ev = { kind: 'arrive' } | { kind: 'done'; w: number; slot: number; token: number };

/** Ground truth per second (index = second since the start). */
export interface WorkersTruth {
  arrivals: Float64Array;
  /** Completed within the client deadline (by completion second). */
  good: Float64Array;
  /** Completed after the client deadline. */
  late: Float64Array;
  timeouts: Float64Array;
  /** Client-observed latency of every completed query, and its completion time. */
  latency: number[];
  latencyAt: number[];
}

export interface WorkersModel {
  readonly ids: readonly string[];
  readonly speeds: readonly number[];
  readonly capacityPerSec: number;
  readonly baseRatePerSec: number;
  /** Runs every event before `t`, then returns the telemetry of the second ending at `t`. */
  advance(t: number): Telemetry[];
  setTimeout(worker: string, timeoutMs: number, now: number): void;
  timeoutOf(worker: string): number;
  /** Stops emitting telemetry (advance returns []): a run without a loop needs only the ground truth. */
  silence(): void;
  readonly truth: WorkersTruth;
}

/** Ground-truth series of `seconds` one-second slots, all zero. */
function emptyWorkersTruth(seconds: number): WorkersTruth {
  return {
    arrivals: new Float64Array(seconds),
    good: new Float64Array(seconds),
    late: new Float64Array(seconds),
    timeouts: new Float64Array(seconds),
    latency: [],
    latencyAt: [],
  };
}

/**
 * Drops the queued queries that have waited past the worker's timeout, each a timeout counted in
 * `second`; compacts the queue once most of it has been consumed.
 */
function purgeExpired(w: Worker, now: number, timeouts: Float64Array, second: number, from: TimeoutFrom): void {
  // A statement timeout does not run while a query waits: the backlog keeps what clients gave up on.
  while (from === 'arrival' && w.head < w.queue.length && now - w.queue[w.head].arrival >= w.timeoutMs) {
    w.head++;
    w.timeouts++;
    timeouts[second]++;
  }
  if (w.head > 1024 && w.head * 2 > w.queue.length) {
    w.queue = w.queue.slice(w.head);
    w.head = 0;
  }
}

/** A query started now: it ends when served, or when the worker's timeout (from arrival or from now) runs out first. */
function startRun(w: Worker, q: Query, now: number, token: number, from: TimeoutFrom): Running {
  const finish = now + q.service;
  const cutoff = (from === 'arrival' ? q.arrival : now) + w.timeoutMs;
  return finish <= cutoff
    ? { q, start: now, end: finish, token, timedOut: false }
    : { q, start: now, end: cutoff, token, timedOut: true };
}

/** A running query under a new timeout (never ending in the past: an abort happens now at the earliest). */
function retimed(r: Running, now: number, timeoutMs: number): Running {
  const finish = r.start + r.q.service;
  const cutoff = Math.max(now, r.q.arrival + timeoutMs);
  return finish <= cutoff ? { ...r, end: finish, timedOut: false } : { ...r, end: cutoff, timedOut: true };
}

/**
 * A deadline-aware worker re-checks its running queries against a new timeout (never in the past: an
 * abort happens now at the earliest); a query whose end moves gets a new token and is rescheduled.
 */
function retimeRunning(w: Worker, now: number, nextToken: () => number, schedule: (slot: number, r: Running) => void) {
  w.slots.forEach((r, s) => {
    if (r === null) return;
    const next = retimed(r, now, w.timeoutMs);
    if (next.end === r.end && next.timedOut === r.timedOut) return;
    const moved = { ...next, token: nextToken() };
    w.slots[s] = moved;
    schedule(s, moved);
  });
}

/**
 * A query served before its timeout: its client-observed latency in the ground truth — good or
 * late against the client deadline, in `second` — and, when emitting, in the worker's telemetry.
 */
function recordServed(
  truth: WorkersTruth,
  second: number,
  w: Worker,
  latency: number,
  now: number,
  clientDeadlineMs: number,
  emitting: boolean,
): void {
  truth.latency.push(latency);
  truth.latencyAt.push(now);
  if (latency <= clientDeadlineMs) truth.good[second]++;
  else truth.late[second]++;
  if (emitting)
    w.latencies.push({ ts: Math.floor(now), source: w.id, metric: 'query.latency_ms', value: latency, tags: {} });
}

/** A worker's telemetry for the second ending after `ts`: its latencies, then its gauges; its counts restart. */
function drainWorker(w: Worker, ts: number, out: Telemetry[]): void {
  out.push(...w.latencies);
  w.latencies.length = 0;
  out.push({ ts, source: w.id, metric: 'queue.depth', value: w.queue.length - w.head, tags: {} });
  out.push({ ts, source: w.id, metric: 'inflight', value: w.slots.filter((s) => s !== null).length, tags: {} });
  out.push({ ts, source: w.id, metric: 'query.timeouts', value: w.timeouts, tags: {} });
  // The timeout in force, as a worker exposes its config: the policy's reference for cuts.
  out.push({ ts, source: w.id, metric: 'query.timeout_ms', value: w.timeoutMs, tags: {} });
  w.timeouts = 0;
}

export function createWorkersModel(
  p: WorkersParams,
  startMs: number,
  seconds: number,
  rnd: { arrivals: RandomFn; costs: RandomFn; speeds: readonly number[] },
): WorkersModel {
  const meanCost = p.costMedianMs * Math.exp((p.costSigma * p.costSigma) / 2);
  const capacityPerSec = rnd.speeds.reduce((s, v) => s + (p.slots * v * 1000) / meanCost, 0);
  const baseRate = p.baseUtilization * capacityPerSec;
  const profile = p.profile ?? stepProfile(p.surgeStartMs, p.surgeEndMs, p.surgeFactor);

  const workers: Worker[] = rnd.speeds.map((speed, i) => ({
    id: `worker-${i + 1}`,
    speed,
    timeoutMs: p.defaultTimeoutMs,
    queue: [],
    head: 0,
    slots: new Array<Running | null>(p.slots).fill(null),
    timeouts: 0,
    latencies: [],
  }));
  const byId = new Map(workers.map((w, i) => [w.id, i]));
  const truth = emptyWorkersTruth(seconds);
  const sec = (t: number): number => Math.min(seconds - 1, Math.max(0, Math.floor((t - startMs) / 1000)));
  const events = createEventQueue<Ev>();
  let token = 0;
  let emitting = true;

  const nextArrival = (from: number): number => nextArrivalAt(rnd.arrivals, from, baseRate / 1000, profile, startMs);

  function timeout(w: Worker, now: number): void {
    w.timeouts++;
    truth.timeouts[sec(now)]++;
  }

  const purge = (w: Worker, now: number): void => purgeExpired(w, now, truth.timeouts, sec(now), p.timeoutFrom);

  function schedule(wi: number, slot: number, r: Running): void {
    events.push(r.end, { kind: 'done', w: wi, slot, token: r.token });
  }

  function fill(wi: number, now: number): void {
    const w = workers[wi];
    purge(w, now);
    for (let s = 0; s < w.slots.length && w.head < w.queue.length; s++) {
      if (w.slots[s] !== null) continue;
      const r = startRun(w, w.queue[w.head++], now, ++token, p.timeoutFrom);
      w.slots[s] = r;
      schedule(wi, s, r);
    }
  }

  function done(wi: number, slot: number, tok: number, now: number): void {
    const w = workers[wi];
    const r = w.slots[slot];
    if (r === null || r.token !== tok) return; // rescheduled by a timeout change
    w.slots[slot] = null;
    if (r.timedOut) timeout(w, now);
    else recordServed(truth, sec(now), w, now - r.q.arrival, now, p.clientDeadlineMs, emitting);
    fill(wi, now);
  }

  events.push(nextArrival(startMs), { kind: 'arrive' });

  function run(until: number): void {
    while (events.peekTime() < until) {
      const { t, event } = events.pop() as { t: number; event: Ev };
      if (event.kind === 'arrive') {
        const wi = Math.floor(rnd.arrivals() * workers.length);
        const w = workers[wi];
        truth.arrivals[sec(t)]++;
        w.queue.push({ arrival: t, service: logNormal(rnd.costs, p.costMedianMs, p.costSigma) / w.speed });
        fill(wi, t);
        events.push(nextArrival(t), { kind: 'arrive' });
      } else done(event.w, event.slot, event.token, t);
    }
  }

  return {
    ids: workers.map((w) => w.id),
    speeds: workers.map((w) => w.speed),
    capacityPerSec,
    baseRatePerSec: baseRate,
    truth,
    advance(t) {
      run(t);
      if (!emitting) {
        for (const w of workers) purge(w, t);
        return [];
      }
      const out: Telemetry[] = [];
      for (const w of workers) {
        purge(w, t);
        drainWorker(w, t - 1, out);
      }
      // In event-time order, as one producer per host would write them (stable: ties keep worker order).
      return out.sort((a, b) => a.ts - b.ts);
    },
    setTimeout(id, timeoutMs, now) {
      const wi = byId.get(id);
      if (wi === undefined) return;
      const w = workers[wi];
      w.timeoutMs = timeoutMs;
      // A statement's timer was armed when it started: only later statements see the new timeout.
      if (p.timeoutFrom === 'arrival')
        retimeRunning(
          w,
          now,
          () => ++token,
          (s, r) => schedule(wi, s, r),
        );
      fill(wi, now);
    },
    timeoutOf: (id) => workers[byId.get(id) ?? 0].timeoutMs,
    silence: () => {
      emitting = false;
    },
  };
}
