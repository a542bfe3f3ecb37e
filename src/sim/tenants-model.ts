/**
 * The simulated multitenant cluster of scenario 3 (noisy tenant): B brokers sharing a fixed
 * ingress capacity, and T tenants producing steady streams of requests — until one of them
 * bursts.
 *
 * - Each tenant's requests arrive as a Poisson process at its demand (bytes/s) ÷ mean
 *   request size; sizes are log-normal (median 100 KB, σ 0.5). Each request goes to a
 *   random broker (the leader of a random partition).
 * - Each broker serves its requests first come, first served at capacity ÷ B bytes/s
 *   (Lindley's recursion: start = max(arrival, previous finish)). A burst that pushes
 *   demand over capacity builds one backlog that every tenant's requests wait behind.
 * - A quota (`quota.set`, bytes/s, cluster-wide per tenant) throttles the tenant before
 *   the brokers' queues, as Kafka does by delaying the throttled client: a GCRA shaper
 *   (the ATM Forum's Generic Cell Rate Algorithm, ITU-T I.371) with one second of burst
 *   tolerance holds each request until its turn. Only the throttled tenant waits. A static
 *   quota (`staticQuotas`, an operator's fixed setting) is the same shaper from the start.
 *   A quota change re-times what the shaper holds (the bytes it scheduled ahead of now go
 *   out at the new quota), as a broker recomputes a throttled client's delay from the
 *   quota in force; a lifted quota releases them at once.
 * - A request that would wait longer than `requestTimeoutMs` in the shaper is dropped by
 *   its client (Kafka's request.timeout.ms, 30 s by default).
 * - Brokers report per tenant the bytes and requests they accepted each second, and their
 *   capacity as a gauge.
 */
import type { RandomFn } from '../client/random';
import type { Telemetry } from '../model/telemetry';
import { logNormal } from './dist';
import { createEventQueue } from './events';
import { FLAT, nextArrivalAt, stepProfile, type Profile } from './load';

export interface TenantSpec {
  name: string;
  demandBytesPerSec: number;
}

export interface TenantsParams {
  capacityBytesPerSec: number;
  brokers: number;
  tenants: readonly TenantSpec[];
  /** The tenant that bursts, and by how much its demand is multiplied. */
  noisy: string;
  burstFactor: number;
  /** Burst interval, ms after the start. */
  burstStartMs: number;
  burstEndMs: number;
  sizeMedianBytes: number;
  sizeSigma: number;
  requestTimeoutMs: number;
  /** Burst tolerance of the quota shaper, ms at the quota rate. */
  quotaBurstMs: number;
  /** The noisy tenant's demand over time, as a multiplier (load.ts); when absent, a step to `burstFactor` over the burst. */
  profile?: Profile;
  /** Every other tenant's demand over time, as a multiplier; flat when absent. */
  othersProfile?: Profile;
  /** Static quotas (bytes/s) by tenant, in force from the start: an operator's fixed configuration. */
  staticQuotas?: Readonly<Record<string, number>>;
}

interface Tenant {
  spec: TenantSpec;
  index: number;
  quota: number;
  /** GCRA theoretical arrival time. */
  tat: number;
  /** Requests the shaper has scheduled and not yet admitted, in admission order from `head`. */
  pending: Req[];
  head: number;
}

interface Req {
  tenant: number;
  arrival: number;
  size: number;
  /** When the shaper admits it; moved when the quota changes. */
  at: number;
  /** Bumped when `at` moves: an admit event of an older version is stale. */
  v: number;
  admitted: boolean;
}

type Ev = { kind: 'arrive'; tenant: number } | { kind: 'admit'; req: Req; v: number };

/** Ground truth by tenant (index as in params.tenants). */
export interface TenantsTruth {
  /** Offered bytes per second (by arrival). */
  offered: Float64Array[];
  /** Bytes completed per second (by completion). */
  completed: Float64Array[];
  /** Requests dropped by their client after waiting too long in the shaper (by arrival). */
  dropped: Float64Array[];
  /** Latency (ms) of each completed request, and its completion time. */
  latency: number[][];
  latencyAt: number[][];
}

export interface TenantsModel {
  advance(t: number): Telemetry[];
  setQuota(tenant: string, bytesPerSec: number, now: number): void;
  /** The lease's quota goes: the tenant's static quota (if any) is in force again. */
  clearQuota(tenant: string, now: number): void;
  quotaOf(tenant: string): number;
  readonly truth: TenantsTruth;
}

export function createTenantsModel(p: TenantsParams, startMs: number, seconds: number, random: RandomFn): TenantsModel {
  const meanSize = p.sizeMedianBytes * Math.exp((p.sizeSigma * p.sizeSigma) / 2);
  const brokerRate = p.capacityBytesPerSec / p.brokers / 1000; // bytes per ms
  const noisyProfile = p.profile ?? stepProfile(p.burstStartMs, p.burstEndMs, p.burstFactor);
  const othersProfile = p.othersProfile ?? FLAT;
  const tenants: Tenant[] = p.tenants.map((spec, index) => ({
    spec,
    index,
    quota: p.staticQuotas?.[spec.name] ?? Infinity,
    tat: startMs,
    pending: [],
    head: 0,
  }));
  const byName = new Map(tenants.map((t) => [t.spec.name, t]));
  const free = new Array<number>(p.brokers).fill(startMs);
  const accepted = Array.from({ length: p.brokers }, () => tenants.map(() => ({ bytes: 0, requests: 0 })));
  const n = tenants.length;
  const truth: TenantsTruth = {
    offered: tenants.map(() => new Float64Array(seconds)),
    completed: tenants.map(() => new Float64Array(seconds)),
    dropped: tenants.map(() => new Float64Array(seconds)),
    latency: tenants.map(() => []),
    latencyAt: tenants.map(() => []),
  };
  const sec = (t: number): number => Math.min(seconds - 1, Math.max(0, Math.floor((t - startMs) / 1000)));
  const events = createEventQueue<Ev>();
  const nextArrival = (tn: Tenant, from: number): number =>
    nextArrivalAt(
      random,
      from,
      tn.spec.demandBytesPerSec / meanSize / 1000,
      tn.spec.name === p.noisy ? noisyProfile : othersProfile,
      startMs,
    );

  for (const tn of tenants) events.push(nextArrival(tn, startMs), { kind: 'arrive', tenant: tn.index });

  function arrive(tn: Tenant, now: number): void {
    const size = logNormal(random, p.sizeMedianBytes, p.sizeSigma);
    truth.offered[tn.index][sec(now)] += size;
    let admit = now;
    if (Number.isFinite(tn.quota)) {
      const tolerance = p.quotaBurstMs;
      admit = Math.max(now, tn.tat - tolerance);
      if (admit - now > p.requestTimeoutMs) {
        truth.dropped[tn.index][sec(now)]++;
        return;
      }
      tn.tat = Math.max(tn.tat, admit) + (size * 1000) / tn.quota;
    }
    const req: Req = { tenant: tn.index, arrival: now, size, at: admit, v: 0, admitted: false };
    if (admit > now) tn.pending.push(req);
    events.push(admit, { kind: 'admit', req, v: 0 });
  }

  function admit(req: Req, now: number): void {
    settle(tenants[req.tenant], req);
    const b = Math.floor(random() * p.brokers);
    const startAt = Math.max(now, free[b]);
    const done = startAt + req.size / brokerRate;
    free[b] = done;
    accepted[b][req.tenant].bytes += req.size;
    accepted[b][req.tenant].requests++;
    truth.completed[req.tenant][sec(done)] += req.size;
    truth.latency[req.tenant].push(done - req.arrival);
    truth.latencyAt[req.tenant].push(done);
  }

  return {
    truth,
    advance(t) {
      while (events.peekTime() < t) {
        const { t: at, event } = events.pop() as { t: number; event: Ev };
        if (event.kind === 'arrive') {
          const tn = tenants[event.tenant];
          arrive(tn, at);
          events.push(nextArrival(tn, at), { kind: 'arrive', tenant: tn.index });
        } else if (event.v === event.req.v) admit(event.req, at);
      }
      const ts = t - 1;
      const out: Telemetry[] = [];
      for (let b = 0; b < p.brokers; b++) {
        const source = `broker-${b + 1}`;
        for (let i = 0; i < n; i++) {
          const tags = { tenant: tenants[i].spec.name };
          out.push({ ts, source, metric: 'tenant.bytes_in', value: accepted[b][i].bytes, tags });
          out.push({ ts, source, metric: 'tenant.requests', value: accepted[b][i].requests, tags });
          accepted[b][i].bytes = 0;
          accepted[b][i].requests = 0;
        }
        out.push({ ts, source, metric: 'cluster.capacity_bytes', value: p.capacityBytesPerSec / p.brokers, tags: {} });
      }
      return out;
    },
    setQuota(name, bytesPerSec, now) {
      const tn = byName.get(name);
      if (tn === undefined) return;
      if (!Number.isFinite(tn.quota))
        tn.tat = now; // a new shaper starts with its burst tolerance full
      else if (bytesPerSec !== tn.quota) retime(tn, tn.quota / bytesPerSec, now, events);
      tn.quota = bytesPerSec;
    },
    clearQuota(name, now) {
      const tn = byName.get(name);
      if (tn === undefined) return;
      // What was configured before the lease comes back, as the reference executor restores it (kafka-quota.ts).
      const configured = p.staticQuotas?.[name] ?? Infinity;
      if (Number.isFinite(tn.quota) && configured !== tn.quota)
        retime(tn, Number.isFinite(configured) ? tn.quota / configured : 0, now, events);
      tn.quota = configured;
    },
    quotaOf: (name) => byName.get(name)?.quota ?? Infinity,
  };
}

/**
 * A quota change re-times what the shaper has scheduled: the bytes ahead of now, queued at the old
 * quota, go out at the new one (× old/new from now; all at once when the quota goes), as a broker
 * recomputes a throttled client's delay from the quota in force. The stale admit events are skipped.
 */
function retime(tn: Tenant, factor: number, now: number, events: { push(t: number, e: Ev): void }): void {
  if (tn.tat > now) tn.tat = now + (tn.tat - now) * factor;
  for (let i = tn.head; i < tn.pending.length; i++) {
    const r = tn.pending[i];
    if (r.admitted || r.at <= now) continue;
    r.at = now + (r.at - now) * factor;
    r.v++;
    events.push(r.at, { kind: 'admit', req: r, v: r.v });
  }
}

/** Marks the request admitted and drops the admitted head of its tenant's pending list. */
function settle(tn: Tenant, req: Req): void {
  req.admitted = true;
  while (tn.head < tn.pending.length && tn.pending[tn.head].admitted) tn.head++;
  if (tn.head > 1024 && tn.head * 2 > tn.pending.length) {
    tn.pending = tn.pending.slice(tn.head);
    tn.head = 0;
  }
}
