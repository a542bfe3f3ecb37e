/** The dashboard behind the real ops server: page, snapshot, and the batched event stream. */
import { createHash } from 'node:crypto';
import { request, type IncomingMessage } from 'node:http';
import { createDashboard, type Dashboard, type DashboardDelta, type DashboardSnapshot } from '../../../src/dashboard';
import type { Command } from '../../../src/model/command';
import { createOpsServer, type OpsServer } from '../../../src/ops/http';
import { createMetrics } from '../../../src/ops/metrics';
import { call, parseEvents, type SseEvent } from '../ops/http-client';
import { T0, WINDOW, command, decisionFor, signal } from './fixtures';

const at = (k: number): number => T0 + k * WINDOW;

function stream(port: number, path: string) {
  let text = '';
  let res: IncomingMessage | undefined;
  const waiters: Array<() => void> = [];
  const opened = new Promise<IncomingMessage>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (r) => {
      res = r;
      r.setEncoding('utf8');
      r.on('data', (c: string) => {
        text += c;
        for (const w of waiters.splice(0)) w();
      });
      resolve(r);
    });
    req.on('error', reject);
    req.end();
  });
  const events = (): SseEvent[] => parseEvents(text);
  return {
    opened,
    events,
    async until(pred: (e: SseEvent[]) => boolean): Promise<SseEvent[]> {
      while (!pred(events())) await new Promise<void>((resolve) => waiters.push(resolve));
      return events();
    },
    destroy: () => res?.destroy(),
  };
}

describe('dashboard routes', () => {
  let server: OpsServer | undefined;
  let dash: Dashboard | undefined;
  afterEach(async () => {
    dash?.close();
    await server?.stop();
    server = undefined;
  });

  async function start(options: Parameters<typeof createDashboard>[0] = {}): Promise<number> {
    dash = createDashboard(options);
    server = createOpsServer({
      port: 0,
      metrics: createMetrics(),
      readiness: () => ({ ready: true, reasons: [] }),
      routes: dash.routes,
    });
    return (await server.start()).port;
  }

  test('GET /dashboard is one self-contained page whose scripts the CSP pins by hash', async () => {
    const port = await start();
    const r = await call(port, '/dashboard');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    const scripts = [...r.body.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    expect(scripts).toHaveLength(2);
    for (const s of scripts)
      expect(csp).toContain(`'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`);
    // Nothing is fetched from elsewhere.
    expect(r.body).not.toMatch(/(src|href)="https?:/);
    expect(r.body).toContain('"events":"/dashboard/events"');
  });

  test('GET /dashboard/state is the snapshot of what was fed', async () => {
    const port = await start({ basePath: '/ui/' });
    const c = command({ at: at(3) });
    dash!.setPolicies([{ name: 'timeouts', type: 'adaptive-timeout', version: '1', mode: 'enforce' }]);
    dash!.onOutputs([signal('worker-7', 'queue.depth', at(3), 120)], [c], [decisionFor(c, 'acted')]);
    const r = await call(port, '/ui/state');
    expect(r.status).toBe(200);
    const snap = JSON.parse(r.body) as DashboardSnapshot;
    expect(snap.now).toBe(at(3));
    expect(snap.policies.map((p) => p.name)).toEqual(['timeouts']);
    expect(snap.panels[0].points).toEqual([[at(3), 120]]);
    expect(snap.markers.map((m) => m.id)).toEqual([c.id]);
    expect(snap.counts).toMatchObject({ signals: 1, commands: 1, decisions: 1, panels: 1, targets: 1 });
    expect((await call(port, '/dashboard/state')).status).toBe(404);
  });

  test('the stream opens with a snapshot, then sends coalesced updates', async () => {
    const port = await start({ flushIntervalMs: 150 });
    const c = command({ at: at(1) });
    dash!.onOutputs([signal('worker-7', 'queue.depth', at(1), 60)], [c], []);
    const s = stream(port, '/dashboard/events');
    const res = await s.opened;
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const first = await s.until((e) => e.length >= 1);
    expect(first[0].event).toBe('snapshot');
    expect((JSON.parse(first[0].data) as DashboardSnapshot).panels).toHaveLength(1);
    expect(dash!.clients).toBe(1);
    // Ten batches within one interval arrive as one or two updates, not ten.
    for (let k = 2; k <= 11; k++) dash!.onSignals([signal('worker-7', 'queue.depth', at(k), 60 + k)]);
    const events = await s.until((e) =>
      e.some((x) => x.event === 'update' && (JSON.parse(x.data) as DashboardDelta).points.some((p) => p[1] === at(11))),
    );
    const updates = events.filter((e) => e.event === 'update').map((e) => JSON.parse(e.data) as DashboardDelta);
    expect(updates.length).toBeLessThanOrEqual(2);
    const points = updates.flatMap((u) => u.points).map((p) => [p[1], p[2]]);
    expect(points).toEqual(Array.from({ length: 10 }, (_, i) => [at(i + 2), 62 + i]));
    s.destroy();
  });

  test('HEAD on the stream answers its headers without opening a stream', async () => {
    const port = await start();
    const r = await call(port, '/dashboard/events', { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(dash!.clients).toBe(0);
  });

  test('a hook never throws into the processor, whatever it is fed', async () => {
    const warnings: string[] = [];
    const logger = { warn: (_o: unknown, msg?: string) => void warnings.push(String(msg)) };
    await start({ logger });
    expect(() => dash!.onCommands([{ type: 'nonsense' } as unknown as Command])).not.toThrow();
    expect(warnings.some((w) => w.includes('dashboard commands failed'))).toBe(true);
    expect(() => dash!.onSignals([signal('w', 'm', at(1), 1)])).not.toThrow();
  });

  test('options are checked', () => {
    expect(() => createDashboard({ maxPointsPerSeries: 0 })).toThrow(/maxPointsPerSeries must be a positive integer/);
    expect(() => createDashboard({ basePath: 'dash' })).toThrow(/must start with/);
  });
});
