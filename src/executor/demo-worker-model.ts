/**
 * The demo worker's queueing model, pure (time passed in): one virtual server with a
 * FIFO queue. Service time is cost × 1000 / capacityPerSec ms; latency is queue wait +
 * service. A query that cannot finish within the timeout is shed: never started when its
 * wait alone reaches the timeout, cut off at the timeout (holding the server until then)
 * when it started in time — so a shorter timeout drains the queue of an overloaded worker.
 */
export interface WorkerModelState {
  /** When the virtual server is next free, wall-clock ms. */
  nextFreeAt: number;
  /** Admitted queries: [start, end) on the server, oldest first. */
  admitted: readonly { start: number; end: number }[];
}

export interface QueryOutcome {
  status: 'ok' | 'timeout';
  /** When the answer goes out, ms after arrival: the latency, or the timeout. */
  respondAfterMs: number;
}

export const initialWorkerModel = (): WorkerModelState => ({ nextFreeAt: 0, admitted: [] });

export function admitQuery(
  state: WorkerModelState,
  q: { now: number; cost: number; timeoutMs: number; capacityPerSec: number },
): { state: WorkerModelState; outcome: QueryOutcome } {
  const live = state.admitted.filter((x) => x.end > q.now);
  const start = Math.max(q.now, state.nextFreeAt);
  const end = start + (q.cost * 1000) / q.capacityPerSec;
  if (end - q.now <= q.timeoutMs) {
    return {
      state: { nextFreeAt: end, admitted: [...live, { start, end }] },
      outcome: { status: 'ok', respondAfterMs: end - q.now },
    };
  }
  const cutoff = q.now + q.timeoutMs;
  const next =
    start < cutoff
      ? { nextFreeAt: cutoff, admitted: [...live, { start, end: cutoff }] }
      : { nextFreeAt: state.nextFreeAt, admitted: live };
  return { state: next, outcome: { status: 'timeout', respondAfterMs: q.timeoutMs } };
}

/** Queue depth (admitted, not started) and inflight (on the server) at `now`; finished queries dropped. */
export function workerGauges(
  state: WorkerModelState,
  now: number,
): { state: WorkerModelState; queueDepth: number; inflight: number } {
  const admitted = state.admitted.filter((x) => x.end > now);
  return {
    state: { nextFreeAt: state.nextFreeAt, admitted },
    queueDepth: admitted.filter((x) => x.start > now).length,
    inflight: admitted.filter((x) => x.start <= now).length,
  };
}
