import { createRandom } from '../../../src/client/random';
import { createWorkersModel, type TimeoutFrom, type WorkersParams } from '../../../src/sim/workers-model';

const START = 1_000_000;
const SECONDS = 20;

/**
 * One worker, one slot, every query 500 ms of work (σ 0), offered 4× what it can serve: a
 * backlog builds from the first second. The worker's timeout is 1 s, the clients' deadline 2 s.
 */
function model(timeoutFrom: TimeoutFrom, over: Partial<WorkersParams> = {}) {
  const p: WorkersParams = {
    workers: 1,
    slots: 1,
    speedMin: 1,
    speedMax: 1,
    costMedianMs: 500,
    costSigma: 0,
    baseUtilization: 4,
    surgeFactor: 1,
    surgeStartMs: 5_000,
    surgeEndMs: 10_000,
    defaultTimeoutMs: 1_000,
    timeoutFrom,
    clientDeadlineMs: 2_000,
    ...over,
  };
  return createWorkersModel(p, START, SECONDS, { arrivals: createRandom(7), costs: createRandom(8), speeds: [1] });
}

const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0);

/** Runs the model to its end; returns the queue depth it reported each second. */
function run(m: ReturnType<typeof model>, at?: { t: number; timeoutMs: number }): number[] {
  const depths: number[] = [];
  for (let s = 1; s <= SECONDS; s++) {
    const t = START + s * 1000;
    if (at !== undefined && at.t > t - 1000 && at.t <= t) {
      m.advance(at.t);
      m.setTimeout('worker-1', at.timeoutMs, at.t);
    }
    const out = m.advance(t);
    depths.push(out.find((x) => x.metric === 'queue.depth')?.value ?? NaN);
  }
  return depths;
}

describe('workers model: the two kinds of timeout', () => {
  it('deadline-aware: the timeout counts from arrival, a queued query past it is dropped, nothing is late', () => {
    const m = model('arrival');
    const depths = run(m);
    expect(sum(m.truth.late)).toBe(0);
    expect(Math.max(...m.truth.latency)).toBeLessThanOrEqual(1_000);
    expect(sum(m.truth.timeouts)).toBeGreaterThan(sum(m.truth.good));
    // The backlog is bounded by what one second of waiting holds (a query every 125 ms).
    expect(Math.max(...depths)).toBeLessThan(12);
  });

  it('statement timeout: counted from the start of execution; the backlog keeps and runs what clients gave up on', () => {
    const m = model('start');
    const depths = run(m);
    // Every query takes 500 ms < the 1 s timeout: none times out, however long it waited.
    expect(sum(m.truth.timeouts)).toBe(0);
    expect(sum(m.truth.late)).toBeGreaterThan(0);
    expect(Math.max(...m.truth.latency)).toBeGreaterThan(2_000);
    expect(depths[SECONDS - 1]).toBeGreaterThan(depths[4]);
  });

  it('statement timeout: a query whose work exceeds the timeout is aborted that long after it started', () => {
    const m = model('start', { defaultTimeoutMs: 300 });
    run(m);
    expect(m.truth.latency).toHaveLength(0);
    // One slot, each query held 300 ms: about 20 s / 0.3 s of them started and timed out.
    expect(sum(m.truth.timeouts)).toBeGreaterThanOrEqual(60);
    expect(sum(m.truth.timeouts)).toBeLessThanOrEqual(67);
  });

  it('statement timeout: a new timeout applies to the statements started after it, the running one keeps its timer', () => {
    const m = model('start', { defaultTimeoutMs: 2_000 });
    // 10.1 s in, cut to 100 ms: the query in its slot then (500 ms of work) still completes.
    run(m, { t: START + 10_100, timeoutMs: 100 });
    const after = m.truth.latencyAt.filter((t) => t > START + 10_100);
    expect(after).toHaveLength(1);
    expect(sum(m.truth.timeouts)).toBeGreaterThan(0);
  });
});
