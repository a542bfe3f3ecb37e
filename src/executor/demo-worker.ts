/**
 * A demo worker for the adaptive-timeout loop: an HTTP server that serves simulated
 * queries with a hidden capacity and a queue (the model: demo-worker-model.ts), so that
 * latency grows with the queue and a shorter timeout sheds long queries and drains it.
 *
 *   GET    /query?cost=1    200 {latencyMs} | 504 {error: 'timeout', timeoutMs}
 *   GET    /admin/timeout   {timeoutMs, defaultTimeoutMs}
 *   PUT    /admin/timeout   {timeoutMs} → {timeoutMs, previousTimeoutMs}
 *   DELETE /admin/timeout   back to the default → {timeoutMs, previousTimeoutMs}
 *   GET    /healthz, GET /stats
 *
 * Optionally publishes its telemetry (queue.depth, inflight, query.latency_ms per query,
 * query.timeouts per interval) as JSON to Kafka every second, keyed by its source id.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Producer } from 'kafkajs';
import { encodeTelemetryJson } from '../codec';
import { HomeostatError, describeError } from '../errors';
import { createKafka } from '../kafka/client';
import type { Telemetry } from '../model/telemetry';
import type { KafkaConfig } from '../config/kafka-schema';
import { silentLogger, type Logger } from '../ops/logger';
import { admitQuery, initialWorkerModel, workerGauges } from './demo-worker-model';
import { FastDefaultPartitioner } from '../kafka/partitioner';

export interface DemoWorkerOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Cost-1 queries the worker completes per second (hidden from clients). */
  capacityPerSec: number;
  defaultTimeoutMs: number;
  telemetry?: { kafka: KafkaConfig; topic: string; source?: string; intervalMs?: number };
  logger?: Logger;
}

export interface DemoWorkerStats {
  timeoutMs: number;
  served: number;
  timedOut: number;
  queueDepth: number;
  inflight: number;
}

export interface DemoWorker {
  /** Listen (and connect the telemetry producer); resolves to the port. */
  start(): Promise<number>;
  stop(): Promise<void>;
  url(): string;
  stats(): DemoWorkerStats;
}

/** Refuses a worker with no capacity or a timeout that is not a positive integer. */
function checkWorkerOptions(options: DemoWorkerOptions): void {
  if (!(options.capacityPerSec > 0) || !(Number.isInteger(options.defaultTimeoutMs) && options.defaultTimeoutMs > 0)) {
    throw new HomeostatError(
      'CONFIG_INVALID',
      'demo worker: capacityPerSec must be > 0 and defaultTimeoutMs a positive integer, e.g. 200 and 30000',
    );
  }
}

export function createDemoWorker(options: DemoWorkerOptions): DemoWorker {
  checkWorkerOptions(options);
  const logger = options.logger ?? silentLogger();
  let timeoutMs = options.defaultTimeoutMs;
  let model = initialWorkerModel();
  const timers = new Set<NodeJS.Timeout>();
  const latencies: number[] = [];
  let served = 0;
  let timedOut = 0;
  let timeoutsSinceFlush = 0;
  let port = 0;
  let producer: Producer | undefined;
  let flushTimer: NodeJS.Timeout | undefined;

  const gauges = (now: number): { queueDepth: number; inflight: number } => {
    const g = workerGauges(model, now);
    model = g.state;
    return { queueDepth: g.queueDepth, inflight: g.inflight };
  };

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const send = sendJson;

  const query = (url: URL, res: ServerResponse): void => {
    const cost = Number(url.searchParams.get('cost') ?? '1');
    if (!(Number.isFinite(cost) && cost > 0 && cost <= 1000))
      return send(res, 400, { error: 'cost must be a number in (0, 1000]' });
    const step = admitQuery(model, { now: Date.now(), cost, timeoutMs, capacityPerSec: options.capacityPerSec });
    model = step.state;
    const { status, respondAfterMs } = step.outcome;
    later(respondAfterMs, () => {
      if (status === 'ok') {
        served++;
        latencies.push(respondAfterMs);
        return send(res, 200, { latencyMs: respondAfterMs });
      }
      timedOut++;
      timeoutsSinceFlush++;
      send(res, 504, { error: 'timeout', timeoutMs: respondAfterMs });
    });
  };

  const admin = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const previousTimeoutMs = timeoutMs;
    if (req.method === 'GET') return send(res, 200, { timeoutMs, defaultTimeoutMs: options.defaultTimeoutMs });
    if (req.method === 'DELETE') {
      timeoutMs = options.defaultTimeoutMs;
      return send(res, 200, { timeoutMs, previousTimeoutMs });
    }
    if (req.method !== 'PUT') return send(res, 405, { error: 'use GET, PUT or DELETE' });
    const next = await readTimeoutBody(req);
    if (typeof next === 'string') return send(res, 400, { error: next });
    timeoutMs = next;
    logger.info({ timeoutMs, previousTimeoutMs }, 'query timeout changed');
    send(res, 200, { timeoutMs, previousTimeoutMs });
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://worker');
    if (url.pathname === '/query' && req.method === 'GET') return query(url, res);
    if (url.pathname === '/admin/timeout') {
      admin(req, res).catch((err: unknown) => send(res, 500, { error: describeError(err) }));
      return;
    }
    if (url.pathname === '/healthz') return send(res, 200, { ok: true });
    if (url.pathname === '/stats') return send(res, 200, stats());
    send(res, 404, { error: 'not found' });
  });

  const stats = (): DemoWorkerStats => ({ timeoutMs, served, timedOut, ...gauges(Date.now()) });

  const flush = async (): Promise<void> => {
    const t = options.telemetry;
    if (!t || !producer) return;
    const now = Date.now();
    const source = t.source ?? `worker-${port}`;
    const records = workerTelemetry(now, source, { ...gauges(now), timeoutsSinceFlush, timeoutMs, latencies });
    latencies.length = 0;
    timeoutsSinceFlush = 0;
    await producer.send({
      topic: t.topic,
      messages: records.map((r) => ({ key: source, value: encodeTelemetryJson(r) })),
    });
  };

  return {
    async start() {
      port = await listen(server, options.port, options.host ?? '127.0.0.1');
      if (options.telemetry) {
        producer = createKafka(options.telemetry.kafka, logger).producer({
          createPartitioner: FastDefaultPartitioner,
        });
        await producer.connect();
        flushTimer = setInterval(() => {
          flush().catch((err: unknown) => logger.warn({ err: describeError(err) }, 'telemetry not sent'));
        }, options.telemetry.intervalMs ?? 1_000);
        flushTimer.unref();
      }
      return port;
    },
    async stop() {
      if (flushTimer) clearInterval(flushTimer);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await producer?.disconnect();
    },
    url: () => `http://${options.host ?? '127.0.0.1'}:${port}`,
    stats,
  };
}

/** Writes a JSON response. */
function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Reads a PUT /admin/timeout body: the new timeout, or the error to answer with. */
async function readTimeoutBody(req: IncomingMessage): Promise<number | string> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  let next: unknown;
  try {
    next = (JSON.parse(body) as { timeoutMs?: unknown }).timeoutMs;
  } catch {
    return 'body must be JSON {"timeoutMs": <positive integer>}';
  }
  if (!(typeof next === 'number' && Number.isInteger(next) && next > 0)) return 'timeoutMs must be a positive integer';
  return next;
}

/** What the worker measured since its last flush. */
interface WorkerReadings {
  queueDepth: number;
  inflight: number;
  timeoutsSinceFlush: number;
  timeoutMs: number;
  latencies: readonly number[];
}

/** The telemetry records of one flush, all stamped `now`. */
function workerTelemetry(now: number, source: string, r: WorkerReadings): Telemetry[] {
  const tags = { role: 'worker' };
  return [
    { ts: now, source, metric: 'queue.depth', value: r.queueDepth, tags },
    { ts: now, source, metric: 'inflight', value: r.inflight, tags },
    { ts: now, source, metric: 'query.timeouts', value: r.timeoutsSinceFlush, tags },
    // The timeout in force: adaptive-timeout's reference, so its cuts start from what the worker really has.
    { ts: now, source, metric: 'query.timeout_ms', value: r.timeoutMs, tags },
    ...r.latencies.map((v) => ({ ts: now, source, metric: 'query.latency_ms', value: v, tags })),
  ];
}

/** Starts listening; resolves to the port bound. */
async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}
