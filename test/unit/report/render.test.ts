/** The whole page: structure, one <svg> per chart, escaping of every user string, determinism, size. */
import { renderReport } from '../../../src/report/render';
import type { Chart, Point, Report } from '../../../src/report/model';

const T0 = Date.UTC(2024, 2, 14, 9, 0);
const MIN = 60_000;

function wave(n: number, step: number, f: (i: number) => number): Point[] {
  return Array.from({ length: n }, (_, i) => [T0 + i * step, f(i)] as const);
}

function chart(title: string, extra: Partial<Chart> = {}): Chart {
  return {
    title,
    yLabel: 'ms',
    xType: 'time',
    series: [{ name: 'p99', points: wave(200, MIN, (i) => 100 + 50 * Math.sin(i / 10)) }],
    ...extra,
  };
}

function sample(): Report {
  return {
    title: 'Sample',
    generatedFrom: 'demo',
    summary: {
      columns: ['metric', 'off', 'on'],
      rows: [['p99', 900, 300]],
      compare: { baseline: 1, candidate: 2, better: ['lower'] },
    },
    sections: [
      {
        title: 'Timeouts',
        description: 'desc',
        charts: [
          chart('latency', {
            thresholds: [{ name: 'SLO', value: 140 }],
            markers: [{ x: T0 + 30 * MIN, kind: 'set', label: 'query_timeout.set', detail: 'p99 > SLO' }],
            spans: [{ start: T0 + 30 * MIN, end: T0 + 45 * MIN, kind: 'lease', label: 'lease' }],
          }),
          chart('setting', {
            series: [{ name: 'timeout', points: wave(10, 20 * MIN, (i) => (i < 5 ? 30 : 5)), style: 'step' }],
          }),
        ],
      },
      {
        title: 'Herd',
        charts: [chart('retries', { series: [{ name: 'req', points: wave(100, MIN, (i) => i), style: 'area' }] })],
      },
    ],
  };
}

function count(html: string, re: RegExp): number {
  return (html.match(re) ?? []).length;
}

/** The hover data of every chart, decoded the way the inline script decodes it. */
function hoverPoints(html: string): Array<Array<{ n: string; x: number[]; y: number[] }>> {
  return [...html.matchAll(/<script type="application\/json" class="cd">(.*?)<\/script>/g)].map((m) => {
    const data = JSON.parse(m[1]) as {
      f: { x0: number; u: number };
      s: Array<{ n: string; x: number[]; y: number[] }>;
    };
    return data.s.map((s) => {
      let acc = 0;
      return { n: s.n, y: s.y, x: s.x.map((d) => data.f.x0 + (acc += d) * data.f.u) };
    });
  });
}

describe('renderReport', () => {
  it('writes a complete HTML document with one <svg> and one <figure> per chart', () => {
    const html = renderReport(sample());
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">')).toBe(true);
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(count(html, /<svg[\s>]/g)).toBe(3);
    expect(count(html, /<\/svg>/g)).toBe(3);
    expect(count(html, /<figure[\s>]/g)).toBe(3);
    for (const tag of [
      'section',
      'figure',
      'svg',
      'g',
      'table',
      'tr',
      'ul',
      'li',
      'text',
      'title',
      'script',
      'style',
      'clipPath',
    ]) {
      expect({ tag, open: count(html, new RegExp(`<${tag}[\\s>]`, 'g')) }).toEqual({
        tag,
        open: count(html, new RegExp(`</${tag}>`, 'g')),
      });
    }
    // Ids are unique (derived from positions).
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(html).toContain('<title>Sample</title>');
    expect(html).toContain('<h2>Summary</h2>');
  });

  it('loads nothing from the network and pins its one script by hash', () => {
    const html = renderReport(sample());
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/\s(src|href)="(?!#)/);
    expect(html).not.toMatch(/@import|@font-face|url\((?!#)/);
    expect(html).toMatch(
      /Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-[A-Za-z0-9+/]+=*'/,
    );
    expect(count(html, /<script>/g)).toBe(1);
    expect(count(renderReport(sample(), { interactive: false }), /<script>/g)).toBe(0);
  });

  it('draws thresholds, markers with tooltips, spans, steps and areas', () => {
    const html = renderReport(sample());
    expect(html).toMatch(/<g class="th"><title>SLO 140<\/title>/);
    expect(html).toContain('<title>query_timeout.set — command set\n2024-03-14 09:30:00 UTC\np99 &gt; SLO</title>');
    expect(html).toContain('<title>lease (lease)\n2024-03-14 09:30:00 UTC → 2024-03-14 09:45:00 UTC</title>');
    expect(html).toMatch(/<path class="ln" d="M[^"]*h[^"]*v[^"]*"/); // the step series
    expect(html).toContain('<path class="fill"');
    expect(html).toContain('▼</span>command set</li>');
  });

  it('escapes every user-supplied string (XSS)', () => {
    const x = '<script>alert(1)</script>';
    const q = '" onmouseover="alert(2)';
    const evil: Report = {
      title: x,
      generatedFrom: q,
      summary: { columns: [x, q], rows: [[x, q]], notes: [x] },
      sections: [
        {
          title: x,
          description: q,
          table: { columns: [x], rows: [[x]] },
          charts: [
            {
              title: x,
              yLabel: q,
              xType: 'time',
              series: [{ name: x, points: wave(20, MIN, (i) => i), color: `red"><script>alert(3)</script>` }],
              thresholds: [{ name: x, value: 5, color: q }],
              markers: [{ x: T0, kind: x, label: x, detail: q }],
              spans: [{ start: T0, end: T0 + 5 * MIN, kind: q, label: x }],
            },
          ],
        },
      ],
    };
    const html = renderReport(evil);
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('alert(1)</script>');
    expect(html).not.toMatch(/\sonmouseover="/); // an attribute, not escaped text
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot; onmouseover=&quot;alert(2)');
    expect(count(html, /<script[\s>]/g)).toBe(2); // ours + the chart's JSON, nothing else
    // Inside the JSON, the name survives intact for the tooltip (set via textContent) but cannot close the script.
    expect(hoverPoints(html)[0][0].n).toBe(x);
  });

  it('is deterministic: same model, same bytes, whatever the clock and the random source', () => {
    const first = renderReport(sample());
    const random = jest.spyOn(Math, 'random');
    const now = jest.spyOn(Date, 'now').mockReturnValue(Date.UTC(2031, 0, 1));
    try {
      expect(renderReport(structuredClone(sample()))).toBe(first);
      expect(random).not.toHaveBeenCalled();
    } finally {
      random.mockRestore();
      now.mockRestore();
    }
  });

  it('decimates an 18k-point series without losing its spike or dip, and stays small', () => {
    const points = wave(18_050, 5 * MIN, (i) => 50 + 10 * Math.sin(i / 50));
    const spikeAt = 12_345;
    const dipAt = 4_321;
    points[spikeAt] = [points[spikeAt][0], 97.25];
    points[dipAt] = [points[dipAt][0], 3.5];
    const html = renderReport({
      title: 'nab',
      generatedFrom: 'replay of nab.csv',
      sections: [{ title: 's', charts: [chart('cpu', { series: [{ name: 'cpu', points }] })] }],
    });
    const [series] = hoverPoints(html)[0];
    expect(series.y.length).toBeLessThanOrEqual(4 * 912);
    expect(series.y.length).toBeLessThan(points.length / 4);
    expect(Math.max(...series.y)).toBe(97.25);
    expect(Math.min(...series.y)).toBe(3.5);
    expect(series.x[series.y.indexOf(97.25)]).toBe(points[spikeAt][0]);
    expect(series.x[0]).toBe(points[0][0]);
    expect(series.x[series.x.length - 1]).toBe(points[points.length - 1][0]);
    expect(html).toContain('18,050 points (');
    expect(Buffer.byteLength(html)).toBeLessThan(120_000);
  });

  it('renders empty, single-point and all-gap charts without breaking', () => {
    const html = renderReport({
      title: 'edge',
      generatedFrom: 'demo',
      sections: [
        {
          title: 'edge',
          charts: [
            chart('empty', { series: [] }),
            chart('one', { series: [{ name: 'a', points: [[T0, 5]] }] }),
            chart('gaps', {
              series: [
                {
                  name: 'a',
                  points: [
                    [T0, Number.NaN],
                    [T0 + MIN, Number.NaN],
                  ],
                },
              ],
              logY: true,
            }),
            chart('log', {
              series: [{ name: 'a', points: wave(50, MIN, (i) => (i % 10 === 0 ? 0 : 10 ** (i % 6))) }],
              logY: true,
            }),
          ],
        },
      ],
    });
    expect(count(html, /<svg[\s>]/g)).toBe(4);
    expect(html).toContain('>No data</text>');
    expect(html).toMatch(/d="M[\d.]+ [\d.]+h0"/); // the single point is a dot
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
    expect(html).toContain('>100k</text>');
  });

  it('uses palette colours for series without one, and ignores unsafe colours', () => {
    const html = renderReport({
      title: 't',
      generatedFrom: 'demo',
      sections: [
        {
          title: 's',
          charts: [
            chart('c', {
              series: [
                { name: 'off', points: wave(5, MIN, (i) => i), color: '#999' },
                { name: 'on', points: wave(5, MIN, (i) => i) },
                { name: 'bad', points: wave(5, MIN, (i) => i), color: 'url(x)' },
              ],
            }),
          ],
        },
      ],
    });
    expect(html).toContain('stroke="#999"');
    expect(html).toContain('stroke="#0072B2"'); // first Okabe–Ito colour goes to the first uncoloured series
    expect(html).toContain('stroke="#E69F00"');
    expect(html).not.toContain('url(x)');
  });

  it('respects a fixed y range and hides thresholds outside it', () => {
    const html = renderReport({
      title: 't',
      generatedFrom: 'demo',
      sections: [
        {
          title: 's',
          charts: [
            chart('c', {
              yMin: 0,
              yMax: 1000,
              thresholds: [
                { name: 'inside', value: 500 },
                { name: 'outside', value: 5000 },
              ],
            }),
          ],
        },
      ],
    });
    expect(html).toContain('>1,000</text>');
    expect(html).not.toContain('>1,200</text>');
    expect(html).toContain('<title>inside 500</title>');
    expect(html).not.toContain('<title>outside 5,000</title>');
  });
});
