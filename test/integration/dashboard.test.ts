/**
 * The live dashboard end to end, real broker, headless Chromium: a processor (wired as
 * `homeostat run` wires it, see test/helpers/processor.ts) follows JSON telemetry of a worker
 * that turns overloaded; the page, opened before the overload, draws the worker's signal
 * and, once the policy acts, the command read back from the actions topic appears on the
 * chart as a marker — with no console error along the way.
 */
import type { Browser, Page } from 'playwright-core';
import { createRecordCodec, encodeTelemetryJson } from '../../src/codec';
import type { DashboardSnapshot } from '../../src/dashboard';
import { loadConfig, type HomeostatConfig } from '../../src/config/homeostat-config';
import { silentLogger } from '../../src/ops/logger';
import { launchChromium } from '../helpers/browser';
import { randomName, readTopic, testKafka, waitFor } from '../helpers/kafka';
import { startProcessor, type RunningProcessor } from '../helpers/processor';
import { brokers, registryUrl } from '../helpers/services';
import { producerConfig } from '../../src/kafka/client';

const WINDOW = 1000;
const SCREENSHOT = '/tmp/dashboard.png';

function testConfig(prefix: string): HomeostatConfig {
  const topics = Object.fromEntries(
    ['telemetry', 'dlq', 'signals', 'decisions', 'actions', 'actionResults', 'outcomes', 'control', 'state'].map(
      (t) => [t, `${prefix}.${t}`],
    ),
  );
  return loadConfig({
    brokers: brokers().join(','),
    registry: registryUrl(),
    overrides: {
      kafka: { groupId: randomName('grp'), transactionalIdPrefix: randomName('tx') },
      topics: { ...topics, telemetryPartitions: 1 },
      engine: { window: { sizeMs: WINDOW, graceMs: 200 }, allowedOutOfOrdernessMs: 200, idleAfterMs: 2000 },
      http: { enabled: false },
      actions: { format: 'json' },
      signing: { keyId: 'dashboard-test' },
      mode: 'enforce',
      policies: [
        {
          name: 'timeouts',
          type: 'adaptive-timeout',
          select: { metric: 'queue.depth' },
          parameters: { high: { queueDepth: 50 }, low: { queueDepth: 10 }, defaultTimeoutMs: 8000, overloadWindows: 3 },
        },
      ],
    },
  });
}

/**
 * Produces queue.depth for worker-7 (and a calm worker-3) every 100 ms of event time = wall
 * time until stopped: calm at first, overloaded once `overload()` is called.
 */
function telemetry(topic: string) {
  const producer = testKafka().producer(producerConfig({ allowAutoTopicCreation: false }));
  let running = true;
  let overloaded = false;
  let i = 0;
  const loop = (async () => {
    await producer.connect();
    try {
      while (running) {
        const ts = Date.now();
        const wobble = Math.sin(i++ / 3) * 4;
        const depth = overloaded ? 110 + wobble * 2 : 18 + wobble;
        await producer.send({
          topic,
          messages: [
            {
              key: 'worker-7',
              value: encodeTelemetryJson({ ts, source: 'worker-7', metric: 'queue.depth', value: depth, tags: {} }),
            },
            {
              key: 'worker-3',
              value: encodeTelemetryJson({
                ts,
                source: 'worker-3',
                metric: 'queue.depth',
                value: 6 + wobble / 2,
                tags: {},
              }),
            },
          ],
        });
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await producer.disconnect();
    }
  })();
  return {
    overload: () => {
      overloaded = true;
    },
    async stop(): Promise<void> {
      running = false;
      await loop;
    },
  };
}

describe('live dashboard (real broker, headless Chromium)', () => {
  const prefix = randomName('dash');
  let processor: RunningProcessor | undefined;
  let browser: Browser | undefined;
  let feed: ReturnType<typeof telemetry> | undefined;

  afterAll(async () => {
    await feed?.stop();
    await browser?.close();
    await processor?.stop();
  });

  test('the page draws the signal and the command appears on it as a marker', async () => {
    processor = await startProcessor(testConfig(prefix), silentLogger());
    browser = await launchChromium();
    const page: Page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('requestfailed', (r) => {
      // The event stream is cut when the browser closes at the end; anything else is a fault.
      if (!r.url().endsWith('/dashboard/events'))
        problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`);
    });
    const base = `http://127.0.0.1:${processor.port}`;
    const response = await page.goto(`${base}/dashboard`);
    expect(response?.status()).toBe(200);
    await page.waitForSelector('#hs-conn.on', { timeout: 10_000 });
    expect(await page.textContent('#hs-policies')).toContain('adaptive-timeout');

    feed = telemetry(`${prefix}.telemetry`);
    await new Promise((r) => setTimeout(r, 3000));
    feed.overload();

    // The policy acts after three overloaded windows; the marker follows within a flush.
    await page.waitForSelector('figure.chart svg g.mk.k-set', { timeout: 45_000 });
    const [message] = await readTopic(`${prefix}.actions`, 1, 15_000);
    const first = createRecordCodec('command').decodeJson(message.value!);
    expect(first).toMatchObject({ type: 'query_timeout.set', target: 'worker-7', mode: 'enforce' });
    await page.waitForSelector(`g.mk[data-id="${first.id}"]`, { timeout: 10_000 });

    // Keep the worker overloaded a little longer: renewals, the lease shading, live updates.
    const windowsBefore = await page.$$eval('figure.chart .cm', (els) => els.map((e) => e.textContent ?? ''));
    await new Promise((r) => setTimeout(r, 4000));
    await feed.stop();
    feed = undefined;
    expect(
      await waitFor(
        async () =>
          (await page.$$eval('figure.chart .cm', (els) => els.map((e) => e.textContent ?? ''))).join() !==
          windowsBefore.join(),
        10_000,
      ),
    ).toBe(true);

    const chart = await page.$eval('figure.chart', (fig) => ({
      title: fig.querySelector('.ct')?.textContent ?? '',
      line: fig.querySelector('path.ln')?.getAttribute('d') ?? '',
      high: Array.from(fig.querySelectorAll('g.th text'), (t) => t.textContent ?? ''),
      spans: fig.querySelectorAll('g.sp').length,
    }));
    expect(chart.title).toBe('queue.depth:mean');
    // A line of many windows (the run-up before the command was back-filled).
    expect((chart.line.match(/L/g) ?? []).length).toBeGreaterThan(5);
    expect(chart.high).toContain('high watermark 50');
    expect(chart.spans).toBeGreaterThan(0);
    expect(await page.textContent('#hs-leases')).toContain('worker-7');
    expect(await page.textContent('#hs-decisions')).toContain('acted');

    // The page agrees with the server's snapshot.
    const snap = (await (await fetch(`${base}/dashboard/state`)).json()) as DashboardSnapshot;
    expect(snap.markers.map((m) => m.id)).toContain(first.id);
    expect(snap.panels.map((p) => `${p.target} ${p.signal}`)).toEqual(['worker-7 queue.depth:mean']);

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(problems).toEqual([]);
  });
});
