/**
 * Discrete-event simulation of N clients contending on one optimistic-concurrency (OCC)
 * resource — the model of Marc Brooker's "Exponential Backoff And Jitter" (AWS
 * Architecture Blog, 2015), after its simulator
 * https://github.com/aws-samples/aws-arch-backoff-simulator (src/backoff_simulator.py):
 *
 * - one server holds a single row with a version number;
 * - each client reads the version, then writes conditionally on it; the write succeeds only
 *   if nobody wrote since the read (the version still matches); each client stops after
 *   its first successful write;
 * - every message takes a network delay |N(10 ms, 2 ms)| one way;
 * - after a failed write a client backs off per strategy (base 5 ms, cap 2000 ms), then
 *   reads again.
 *
 * Pure and deterministic: the only randomness is a seeded generator, and simultaneous
 * events are ordered by insertion, so a seed reproduces a run exactly. The backoff delays
 * come from the same `nextBackoff` the retrier uses, so the benchmark exercises the
 * library's formulas, not a copy of them.
 */
import { initialBackoffState, nextBackoff, type BackoffState, type JitterStrategy } from './backoff';
import { createRandom, deriveSeed, normal, type RandomFn } from './random';

/** A jitter strategy, or `immediate`: no backoff at all (the original's "None"), as a reference. */
export type ContentionStrategy = JitterStrategy | 'immediate';

export interface ContentionParams {
  clients: number;
  strategy: ContentionStrategy;
  seed: number;
  /** Defaults are the original simulator's: base 5, cap 2000, network N(10, 2) ms. */
  baseMs?: number;
  capMs?: number;
  netMeanMs?: number;
  netSdMs?: number;
}

export interface ContentionResult {
  /** Conditional writes the server handled — the original's "calls" (work). Reads are as many again. */
  calls: number;
  /** Writes that lost the race. */
  failures: number;
  /** Time at which the last client saw its write succeed (ms from start). */
  completionMs: number;
}

const READ = 0; // a read request reaches the server
const READ_REPLY = 1; // the read's reply reaches the client
const WRITE = 2; // a conditional write reaches the server
const WRITE_REPLY = 3; // the write's reply reaches the client

interface SimEvent {
  t: number;
  seq: number;
  kind: number;
  client: number;
  /** READ_REPLY/WRITE: the version read; WRITE_REPLY: 1 for success, 0 for conflict. */
  value: number;
}

export function simulateContention(params: ContentionParams): ContentionResult {
  const baseMs = params.baseMs ?? 5;
  const capMs = params.capMs ?? 2000;
  const netMean = params.netMeanMs ?? 10;
  const netSd = params.netSdMs ?? 2;
  const random: RandomFn = createRandom(params.seed);
  const delay = (): number => Math.abs(normal(random, netMean, netSd));
  const backoffParams = {
    strategy: params.strategy === 'immediate' ? 'none' : params.strategy,
    baseMs,
    capMs,
  } as const;

  const queue = createEventQueue();
  const failedWrites = new Array<number>(params.clients).fill(0);
  const backoffStates: BackoffState[] = Array.from({ length: params.clients }, () =>
    initialBackoffState(backoffParams),
  );
  let version = 0;
  let calls = 0;
  let failures = 0;
  let now = 0;

  for (let c = 0; c < params.clients; c++) queue.push(delay(), READ, c, 0);
  for (let ev = queue.pop(); ev !== undefined; ev = queue.pop()) {
    now = ev.t;
    switch (ev.kind) {
      case READ:
        queue.push(now + delay(), READ_REPLY, ev.client, version);
        break;
      case READ_REPLY:
        queue.push(now + delay(), WRITE, ev.client, ev.value);
        break;
      case WRITE: {
        calls++;
        const ok = ev.value === version;
        if (ok) version++;
        else failures++;
        queue.push(now + delay(), WRITE_REPLY, ev.client, ok ? 1 : 0);
        break;
      }
      case WRITE_REPLY: {
        if (ev.value === 1) break; // this client is done
        const c = ev.client;
        failedWrites[c]++;
        let backoffMs = 0;
        if (params.strategy !== 'immediate') {
          // The original counts attempts from 1 at the first backoff (min(cap, base * 2^1)
          // = 10 ms), so the exponent is the number of failed writes so far.
          const step = nextBackoff(backoffStates[c], { params: backoffParams, attempt: failedWrites[c] }, random);
          backoffStates[c] = step.state;
          backoffMs = step.delayMs;
        }
        queue.push(now + delay() + backoffMs, READ, c, 0);
        break;
      }
    }
  }
  return { calls, failures, completionMs: now };
}

/** Binary min-heap on (t, seq): seq breaks ties by insertion order, for determinism. */
function createEventQueue(): {
  push(t: number, kind: number, client: number, value: number): void;
  pop(): SimEvent | undefined;
} {
  const heap: SimEvent[] = [];
  let seq = 0;
  const less = (a: SimEvent, b: SimEvent): boolean => a.t < b.t || (a.t === b.t && a.seq < b.seq);
  return {
    push(t, kind, client, value) {
      const ev: SimEvent = { t, seq: seq++, kind, client, value };
      let i = heap.length;
      heap.push(ev);
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!less(ev, heap[parent])) break;
        heap[i] = heap[parent];
        i = parent;
      }
      heap[i] = ev;
    },
    pop() {
      if (heap.length === 0) return undefined;
      const top = heap[0];
      const last = heap.pop() as SimEvent;
      if (heap.length > 0) {
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= heap.length) break;
          const r = l + 1;
          const child = r < heap.length && less(heap[r], heap[l]) ? r : l;
          if (!less(heap[child], last)) break;
          heap[i] = heap[child];
          i = child;
        }
        heap[i] = last;
      }
      return top;
    },
  };
}

export interface ContentionSweepPoint {
  strategy: ContentionStrategy;
  clients: number;
  runs: number;
  meanCalls: number;
  meanCompletionMs: number;
}

/**
 * Mean calls and completion time over `runs` seeded runs per (strategy, clients). Run r at
 * a given client count uses the same seed for every strategy (common random numbers), so
 * strategy differences are not sampling noise between unrelated seeds.
 */
export function sweepContention(options: {
  strategies: readonly ContentionStrategy[];
  clientCounts: readonly number[];
  runs: number;
  seed: number;
}): ContentionSweepPoint[] {
  const points: ContentionSweepPoint[] = [];
  for (const clients of options.clientCounts) {
    for (const strategy of options.strategies) {
      let calls = 0;
      let time = 0;
      for (let run = 0; run < options.runs; run++) {
        const seed = runSeed(options.seed, clients, run);
        const result = simulateContention({ clients, strategy, seed });
        calls += result.calls;
        time += result.completionMs;
      }
      points.push({
        strategy,
        clients,
        runs: options.runs,
        meanCalls: calls / options.runs,
        meanCompletionMs: time / options.runs,
      });
    }
  }
  return points;
}

function runSeed(seed: number, clients: number, run: number): number {
  return deriveSeed(deriveSeed(seed, clients), run);
}
