import { Agent, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HomeostatError } from '../../../src/errors';
import {
  createOpsServer,
  sendJson,
  type OpsServer,
  type OpsServerOptions,
  type Readiness,
} from '../../../src/ops/http';
import { createMetrics, type HomeostatMetrics } from '../../../src/ops/metrics';
import { call } from './http-client';

describe('ops http server', () => {
  let server: OpsServer | undefined;
  let metrics: HomeostatMetrics;
  let readiness: Readiness;

  beforeEach(() => {
    metrics = createMetrics();
    readiness = { ready: false, reasons: ['no partitions assigned'] };
  });
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  async function startServer(extra: Partial<OpsServerOptions> = {}): Promise<number> {
    server = createOpsServer({ port: 0, metrics, readiness: () => readiness, ...extra });
    const { port } = await server.start();
    return port;
  }

  it('binds an ephemeral port and reports it', async () => {
    const port = await startServer();
    expect(port).toBeGreaterThan(0);
    expect(server!.port).toBe(port);
    expect((await call(port, '/healthz')).status).toBe(200);
  });

  it('serves the counters on /metrics in the Prometheus text format', async () => {
    const port = await startServer();
    metrics.recordsConsumed.inc({ topic: 'homeostat.telemetry' }, 42);
    metrics.recordsDeadLettered.inc({ reason: 'TRUNCATED' });
    const reply = await call(port, '/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(reply.body).toContain('homeostat_records_consumed_total{topic="homeostat.telemetry"} 42\n');
    expect(reply.body).toContain('homeostat_records_dead_lettered_total{reason="TRUNCATED"} 1\n');
  });

  it('flips /readyz from 503 with reasons to 200, and homeostat_ready with it', async () => {
    const port = await startServer();
    const before = await call(port, '/readyz');
    expect(before.status).toBe(503);
    expect(JSON.parse(before.body)).toEqual({ status: 'not_ready', reasons: ['no partitions assigned'] });
    expect((await call(port, '/metrics')).body).toContain('\nhomeostat_ready 0\n');

    readiness = { ready: true, reasons: [] };
    const after = await call(port, '/readyz');
    expect(after.status).toBe(200);
    expect(JSON.parse(after.body)).toEqual({ status: 'ready' });
    expect((await call(port, '/metrics')).body).toContain('\nhomeostat_ready 1\n');
  });

  it('answers /healthz ok while live and 503 with the reason when the liveness check fails', async () => {
    let live = true;
    const port = await startServer({ liveness: () => ({ live, reason: 'consumer loop stalled' }) });
    const ok = await call(port, '/healthz');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ status: 'ok' });
    live = false;
    const bad = await call(port, '/healthz');
    expect(bad.status).toBe(503);
    expect(JSON.parse(bad.body)).toEqual({ status: 'unhealthy', reason: 'consumer loop stalled' });
  });

  it('answers 404 JSON for unknown paths and 405 for other methods', async () => {
    const port = await startServer();
    const missing = await call(port, '/nope?x=1');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(missing.body)).toEqual({ error: 'not found', path: '/nope' });
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const reply = await call(port, '/metrics', { method });
      expect(reply.status).toBe(405);
      expect(reply.headers.allow).toBe('GET, HEAD');
      expect(JSON.parse(reply.body)).toMatchObject({ error: 'method not allowed', method });
    }
    // "//metrics" must not be read as a URL with host "metrics".
    expect((await call(port, '//metrics')).status).toBe(404);
  });

  it('answers HEAD like GET without a body', async () => {
    const port = await startServer();
    const reply = await call(port, '/healthz', { method: 'HEAD' });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('');
  });

  it('serves extra routes with the parsed query', async () => {
    const port = await startServer({
      routes: { '/echo': (_req, res, url) => sendJson(res, 200, { q: url.searchParams.get('q') }) },
    });
    const reply = await call(port, '/echo?q=hello');
    expect(JSON.parse(reply.body)).toEqual({ q: 'hello' });
  });

  it('turns a throwing or rejecting handler into a 500 and keeps serving', async () => {
    const port = await startServer({
      routes: {
        '/sync': () => {
          throw new Error('sync boom');
        },
        '/async': () => Promise.reject(new Error('async boom')),
      },
    });
    const sync = await call(port, '/sync');
    expect(sync.status).toBe(500);
    expect(JSON.parse(sync.body)).toEqual({ error: 'internal error', message: 'sync boom' });
    const asyncReply = await call(port, '/async');
    expect(asyncReply.status).toBe(500);
    expect(JSON.parse(asyncReply.body)).toEqual({ error: 'internal error', message: 'async boom' });
    expect((await call(port, '/healthz')).status).toBe(200);
  });

  it('answers /readyz 500 when the readiness check throws, yet still serves /metrics', async () => {
    const port = await startServer({
      readiness: () => {
        throw new Error('state store unreachable');
      },
    });
    const reply = await call(port, '/readyz');
    expect(reply.status).toBe(500);
    expect(JSON.parse(reply.body).message).toBe('state store unreachable');
    // The scrape still works and reports not ready: metrics matter most when things break.
    const scrape = await call(port, '/metrics');
    expect(scrape.status).toBe(200);
    expect(scrape.body).toContain('\nhomeostat_ready 0\n');
  });

  it('refuses routes that would replace a built-in or are not paths', () => {
    const noop = (): void => undefined;
    expect(() =>
      createOpsServer({ port: 0, metrics, readiness: () => readiness, routes: { '/metrics': noop } }),
    ).toThrow(/built in/);
    expect(() => createOpsServer({ port: 0, metrics, readiness: () => readiness, routes: { events: noop } })).toThrow(
      /must start with/,
    );
  });

  it('reports a port in use as a usage error naming the address', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as AddressInfo).port;
    try {
      const s = createOpsServer({ port: taken, metrics, readiness: () => readiness });
      const err: unknown = await s.start().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HomeostatError);
      expect((err as HomeostatError).code).toBe('USAGE');
      expect((err as HomeostatError).message).toContain(`127.0.0.1:${taken}`);
      await s.stop();
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('has a strict lifecycle: start once, stop idempotent, stop before start is fine', async () => {
    const never = createOpsServer({ port: 0, metrics, readiness: () => readiness });
    await never.stop();
    await expect(never.start()).rejects.toMatchObject({ code: 'INVALID_STATE' });

    const port = await startServer();
    await expect(server!.start()).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await Promise.all([server!.stop(), server!.stop()]);
    expect(server!.port).toBeUndefined();
    await expect(call(port, '/healthz')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('stops while start() is still binding', async () => {
    const s = createOpsServer({ port: 0, metrics, readiness: () => readiness });
    const started = s.start();
    await s.stop();
    await started;
    expect(s.port).toBeUndefined();
  });

  // stopGraceMs is far above the test timeout: if stop() waited for it, the test would time out.
  it('closes idle keep-alive connections on stop instead of waiting for them', async () => {
    const agent = new Agent({ keepAlive: true });
    try {
      const port = await startServer({ stopGraceMs: 60_000 });
      expect((await call(port, '/healthz', { agent })).status).toBe(200);
      expect((await call(port, '/metrics', { agent })).status).toBe(200);
      await server!.stop();
    } finally {
      agent.destroy();
    }
  });

  it('lets an in-flight request finish on stop, then closes its keep-alive connection', async () => {
    const agent = new Agent({ keepAlive: true });
    let release: () => void = () => undefined;
    let arrived: () => void = () => undefined;
    const arrivedP = new Promise<void>((resolve) => (arrived = resolve));
    try {
      const port = await startServer({
        stopGraceMs: 60_000,
        routes: {
          '/slow': async (_req, res) => {
            arrived();
            await new Promise<void>((resolve) => (release = resolve));
            sendJson(res, 200, { done: true });
          },
        },
      });
      const reply = call(port, '/slow', { agent });
      await arrivedP;
      const stopping = server!.stop();
      release();
      const r = await reply;
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ done: true });
      await stopping;
    } finally {
      agent.destroy();
    }
  });
});
