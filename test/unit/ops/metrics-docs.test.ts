import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMetrics } from '../../../src/ops/metrics';

/**
 * docs/metrics.md is the contract's written form: every metric must have a row whose type
 * and labels match what the code registers, and the docs must not list metrics that do not exist.
 */

interface DocRow {
  type: string;
  labels: string[];
}

function documentedMetrics(): Map<string, DocRow> {
  const text = readFileSync(join(__dirname, '../../../docs/metrics.md'), 'utf8');
  const rows = new Map<string, DocRow>();
  for (const line of text.split('\n')) {
    const m = /^\| `(homeostat_[a-z_]+)` \| (\w+) \| ([^|]+) \|/.exec(line);
    if (!m) continue;
    const labels = m[3].trim() === '—' ? [] : [...m[3].matchAll(/`([a-z_]+)`/g)].map((x) => x[1]);
    rows.set(m[1], { type: m[2], labels });
  }
  return rows;
}

describe('docs/metrics.md', () => {
  it('documents every registered metric with its type and labels, and nothing else', async () => {
    const metrics = createMetrics();
    const docs = documentedMetrics();
    const registered = await metrics.registry.getMetricsAsJSON();
    expect(registered.length).toBeGreaterThan(15);
    for (const metric of registered) {
      const row = docs.get(metric.name);
      expect({ name: metric.name, documented: row !== undefined }).toEqual({ name: metric.name, documented: true });
      const labelNames = (metrics.registry.getSingleMetric(metric.name) as unknown as { labelNames: string[] })
        .labelNames;
      expect({ name: metric.name, type: row!.type, labels: row!.labels }).toEqual({
        name: metric.name,
        type: String(metric.type),
        labels: [...labelNames],
      });
    }
    expect([...docs.keys()].sort()).toEqual(registered.map((m) => m.name).sort());
  });
});
