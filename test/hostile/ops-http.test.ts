/**
 * Finding 9: the ops server had no limit on dashboard streams (each serialises a snapshot
 * on the processor's event loop and may buffer 16 MiB), no auth, and the compose file
 * published it on every interface. Now streams are capped (one more is a 503, counted), a
 * bearer token can be required, and the compose file binds 127.0.0.1.
 */
import { request, type IncomingMessage } from 'node:http';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { createDashboard, type Dashboard } from '../../src/dashboard';
import { createOpsServer, type OpsServer } from '../../src/ops/http';
import { countDashboardStreams, createMetrics } from '../../src/ops/metrics';

const TOKEN = 'a-test-token-0123456789abcdef';

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingMessage['headers']; res: IncomingMessage }> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, headers }, (res) =>
      done({ status: res.statusCode ?? 0, headers: res.headers, res }),
    );
    req.on('error', fail);
    req.end();
  });
}

let server: OpsServer | undefined;
let dashboard: Dashboard | undefined;
const open: IncomingMessage[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) r.destroy();
  dashboard?.close();
  await server?.stop();
  server = undefined;
});

async function start(
  o: { maxStreams?: number; authToken?: string } = {},
): Promise<{ port: number; metrics: ReturnType<typeof createMetrics> }> {
  const metrics = createMetrics();
  dashboard = createDashboard({ maxStreams: o.maxStreams });
  countDashboardStreams(metrics.registry, dashboard);
  server = createOpsServer({
    port: 0,
    metrics,
    routes: dashboard.routes,
    authToken: o.authToken,
    readiness: () => ({ ready: true, reasons: [] }),
  });
  const { port } = await server.start();
  return { port, metrics };
}

describe('ops HTTP under hostile clients', () => {
  it('caps dashboard streams: one more is answered 503 with Retry-After, and counted', async () => {
    const { port, metrics } = await start({ maxStreams: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await get(port, '/dashboard/events');
      open.push(r.res);
      expect(r.status).toBe(200);
    }
    const third = await get(port, '/dashboard/events');
    third.res.resume();
    expect([third.status, third.headers['retry-after']]).toEqual([503, '10']);
    expect(dashboard!.clients).toBe(2);
    expect(await metrics.registry.metrics()).toMatch(/homeostat_dashboard_streams_total\{outcome="refused"\} 1/);
  });

  it('requires the bearer token on every route but the probes, and lets a browser carry it in a cookie', async () => {
    const { port } = await start({ authToken: TOKEN });
    const without = await get(port, '/metrics');
    without.res.resume();
    expect([without.status, without.headers['www-authenticate']]).toEqual([401, 'Bearer realm="homeostat"']);
    const wrong = await get(port, '/dashboard/state', { Authorization: 'Bearer wrong' });
    wrong.res.resume();
    expect(wrong.status).toBe(401);
    const probe = await get(port, '/healthz');
    probe.res.resume();
    expect(probe.status).toBe(200);
    const bearer = await get(port, '/metrics', { Authorization: `Bearer ${TOKEN}` });
    bearer.res.resume();
    expect(bearer.status).toBe(200);
    const page = await get(port, `/dashboard?token=${TOKEN}`);
    page.res.resume();
    expect(page.status).toBe(200);
    const setCookie = String(page.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly; SameSite=Strict/);
    const events = await get(port, '/dashboard/events', { Cookie: setCookie.split(';')[0] });
    open.push(events.res);
    expect(events.status).toBe(200);
  });

  it('docker-compose.yml publishes every port on 127.0.0.1 and gives the signing key to the processor only', () => {
    const compose = parse(readFileSync(resolve(__dirname, '..', '..', 'docker-compose.yml'), 'utf8'), {
      merge: true,
    }) as {
      services: Record<string, { ports?: string[]; environment?: Record<string, string> }>;
    };
    const ports = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    for (const p of ports) expect(p).toMatch(/^127\.0\.0\.1:/);
    const holders = Object.entries(compose.services)
      .filter(([, s]) => s.environment?.HOMEOSTAT_SIGNING_KEY !== undefined)
      .map(([name]) => name);
    expect(holders).toEqual(['homeostat']);
  });
});
