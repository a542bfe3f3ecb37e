/** writeReport: the only I/O — creates the folder, writes exactly what renderReport returns. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderReport, writeReport, type Report } from '../../../src/report';

describe('writeReport', () => {
  const dir = mkdtempSync(join(tmpdir(), 'homeostat-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates missing folders and writes the rendered page', async () => {
    const report: Report = { title: 'Ünïcode ✓', generatedFrom: 'demo', sections: [] };
    const path = join(dir, 'a', 'b', 'report.html');
    const bytes = await writeReport(path, report);
    const text = readFileSync(path, 'utf8');
    expect(text).toBe(renderReport(report));
    expect(bytes).toBe(Buffer.byteLength(text, 'utf8'));
    expect(bytes).toBeGreaterThan(text.length); // multi-byte characters counted as bytes
  });
});
