/**
 * `homeostat demo` end to end: the summary table shows what remediation on defaults does in
 * every scenario, and the HTML report renders in headless Chromium with no console errors and
 * charts drawn.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { BIN } from '../helpers/cli';
import { launchChromium } from '../helpers/browser';

const run = promisify(execFile);

test('demo prints the off/on table and writes a report that renders', async () => {
  const out = mkdtempSync(join(tmpdir(), 'homeostat-demo-'));
  const { stdout } = await run(process.execPath, [BIN, 'demo', '--out', out], { timeout: 120_000 });
  const row = (label: RegExp): [number, number] => {
    const line = stdout.split('\n').find((l) => label.test(l));
    expect(line).toBeDefined();
    const nums = [...line!.matchAll(/(\d[\d,]*\.?\d*)\s*(?:q\/s|ms|s|×)/g)].map((m) => Number(m[1].replace(/,/g, '')));
    return [nums[nums.length - 2], nums[nums.length - 1]];
  };
  // On the policies' defaults against a competent off (docs/simulation.md): the workers' and
  // the herd's loops change little, the tenants' quota isolates the others from the burst.
  const [goodOff, goodOn] = row(/goodput during the surge/);
  expect(goodOn).toBeGreaterThan(goodOff * 0.97);
  const [ampOff, ampOn] = row(/retry amplification/);
  expect(ampOff).toBeLessThan(1.5);
  expect(ampOn).toBeLessThan(ampOff * 1.05);
  const [victimOff, victimOn] = row(/other tenants, burst after its first 10 s/);
  expect(victimOn).toBeLessThan(victimOff / 10);

  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(pathToFileURL(join(out, 'report.html')).href);
    const charts: number[] = await page.$$eval('svg', (svgs) =>
      svgs.map((s) => s.querySelectorAll('path, polyline, rect, circle').length),
    );
    expect(charts.length).toBeGreaterThanOrEqual(6);
    expect(charts.every((n) => n > 0)).toBe(true);
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
});
