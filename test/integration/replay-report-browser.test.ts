/**
 * A generated replay report in headless Chromium: the Microsoft API series replayed through
 * examples/ms-api.yaml and scored against its labels. The page must load without a console
 * error (its CSP forbids anything but its own hashed script), every chart's SVG must draw
 * something, and hovering a chart (the inline script's crosshair) must not raise an error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { loadConfig } from '../../src/config/homeostat-config';
import { parsePolicyConfig } from '../../src/policies';
import { writeReport } from '../../src/report';
import { importAll } from '../../src/import';
import { loadLabelledSeries } from '../../src/replay/labels-load';
import { replayRecordsSync } from '../../src/replay/replay';
import { buildReplayReport } from '../../src/replay/report-model';
import { replaySetupFromConfig } from '../../src/replay/setup';
import { launchChromium } from '../helpers/browser';

const ROOT = path.resolve(__dirname, '..', '..');
const API = path.resolve(ROOT, 'data', 'ms-cloud-monitoring', 'ecommerce-api-incoming-rps', 'api-01.csv');

describe('replay report in a browser', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    browser = await launchChromium();
    dir = mkdtempSync(path.join(tmpdir(), 'homeostat-report-'));
  });
  afterAll(async () => {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('renders every chart, with markers and incident spans, and no console error', async () => {
    const config = loadConfig({ file: path.join(ROOT, 'examples', 'ms-api.yaml'), env: {} });
    const data = await importAll(API, {
      mapping: { source: 'api-01', metric: 'requests', tags: { service: 'api' }, valueScale: 3600 },
    });
    const result = replayRecordsSync(
      data.records.map((record, offset) => ({ partition: 0, offset, record })),
      replaySetupFromConfig(config, { partitions: [0], env: {} }),
    );
    const built = buildReplayReport({
      generatedFrom: 'replay of api-01.csv with examples/ms-api.yaml',
      policies: config.policies.map((p, i) => parsePolicyConfig(p, `policies.${i}`)),
      signals: result.signals,
      commands: result.commands,
      decisions: result.decisions,
      counters: result.counters,
      labels: [await loadLabelledSeries('ms', API)],
    });
    const file = path.join(dir, 'api.html');
    await writeReport(file, built.report);
    const charts = built.report.sections.reduce((n, s) => n + s.charts.length, 0);
    expect(charts).toBeGreaterThan(0);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    await page.goto(pathToFileURL(file).href);
    const svgs = await page.$$eval('svg', (els) =>
      els.map((svg) => {
        const box = svg.getBoundingClientRect();
        return { width: box.width, height: box.height, paths: svg.querySelectorAll('path[d]').length };
      }),
    );
    // One SVG per chart (legend glyphs are HTML), each sized and drawing paths.
    const drawn = svgs.filter((s) => s.width > 100 && s.height > 50);
    expect(drawn.length).toBe(charts);
    for (const s of drawn) expect(s.paths).toBeGreaterThan(0);
    const text = await page.textContent('body');
    expect(text).toContain('Scoring against labelled incidents');
    expect(text).toContain('labelled incident');
    // Hover across the first chart: the crosshair script runs without errors.
    const first = page.locator('svg').first();
    const box = await first.boundingBox();
    if (box === null) throw new Error('first chart has no box');
    for (let i = 1; i < 6; i++) await page.mouse.move(box.x + (box.width * i) / 6, box.y + box.height / 2);
    expect(errors).toEqual([]);
    await page.close();
  });
});
