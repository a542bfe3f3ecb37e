/**
 * The browser scripts, run in a bare VM context: they must parse, and the chart drawing
 * (pure string building) must put the line, the watermarks, the lease shading and one glyph
 * per marker in range into the SVG.
 */
import { runInNewContext, Script } from 'node:vm';
import { APP_SCRIPT } from '../../../src/dashboard/client-app';
import { CHART_SCRIPT } from '../../../src/dashboard/client-chart';
import { renderPage } from '../../../src/dashboard/page';
import type { LeaseSpanView, MarkerView, PanelView } from '../../../src/dashboard/types';
import { T0, WINDOW } from './fixtures';

interface Drawn {
  svg: string;
  frame: { x0: number; x1: number; y0: number; y1: number };
}
type Draw = (
  p: PanelView,
  g: { markers: MarkerView[]; spans: LeaseSpanView[] } | null,
  now: number | null,
  cfg: unknown,
  id: string,
) => Drawn;

function config(): unknown {
  const html = renderPage({ title: 't', eventsPath: '/dashboard/events' }).html;
  const json = /<script type="application\/json" id="hs-config">(.*?)<\/script>/.exec(html)![1];
  return JSON.parse(json) as unknown;
}

const draw = runInNewContext(`${CHART_SCRIPT}; HC.draw`, {}) as Draw;
const at = (k: number): number => T0 + k * WINDOW;

function marker(id: string, t: number, kind: MarkerView['kind'], hollow = false): MarkerView {
  return {
    id,
    group: 'g',
    t,
    kind,
    hollow,
    type: 'query_timeout.set',
    mode: 'enforce',
    decision: 'acted',
    params: 'timeout 4000 ms',
    reason: 'r <b>',
  };
}

const panel = (over: Partial<PanelView> = {}): PanelView => ({
  id: 'p',
  group: 'g',
  policy: 'timeouts',
  target: 'worker-7',
  signal: 'queue.depth:mean',
  derived: false,
  points: Array.from({ length: 30 }, (_, k) => [at(k), 10 + 5 * k] as [number, number]),
  evidence: [
    [at(20), 110, 50, '>'],
    [at(28), 8, 10, '<'],
  ],
  ...over,
});

describe('dashboard browser scripts', () => {
  test('both scripts parse as plain scripts', () => {
    expect(() => new Script(CHART_SCRIPT)).not.toThrow();
    expect(() => new Script(APP_SCRIPT)).not.toThrow();
  });

  test('a chart has its line, both watermarks, the lease shading and a glyph per marker in range', () => {
    const markers = [
      marker('m1', at(20), 'set'),
      marker('m2', at(22), 'renew'),
      marker('m3', at(28), 'revert'),
      marker('old', at(-50), 'set'),
    ];
    const spans: LeaseSpanView[] = [
      { id: 's', group: 'g', family: 'query_timeout', from: at(20), to: at(28), hollow: false },
    ];
    const { svg, frame } = draw(panel(), { markers, spans }, at(31), config(), 'c1');
    expect(svg.match(/class="mk /g)).toHaveLength(3);
    expect(svg).toContain('class="mk mk-down k-set"');
    expect(svg).toContain('class="mk mk-up k-revert"');
    expect(svg).toContain('high watermark 50');
    expect(svg).toContain('low watermark 10');
    expect(svg.match(/class="ev"/g)).toHaveLength(2);
    expect(svg.match(/<g class="sp">/g)).toHaveLength(1);
    // Text is escaped into the SVG.
    expect(svg).toContain('r &lt;b&gt;');
    expect(svg).not.toContain('<b>');
    // The axis ends at the dashboard's event time and covers every value and threshold.
    expect(frame.x1).toBe(at(31));
    expect(frame.x0).toBe(at(0));
    expect(frame.y0).toBeLessThanOrEqual(8);
    expect(frame.y1).toBeGreaterThanOrEqual(155);
    // One continuous line: 30 evenly spaced points, no gap.
    const d = /<path class="ln" d="([^"]*)"/.exec(svg)![1];
    expect(d.match(/M/g)).toHaveLength(1);
    expect(d.match(/L/g)).toHaveLength(29);
  });

  test('a gap in the windows breaks the line; a shadow set is hollow', () => {
    const points = panel().points.filter((_, k) => k < 10 || k > 15);
    const { svg } = draw(
      panel({ points }),
      { markers: [marker('m', at(5), 'set', true)], spans: [] },
      null,
      config(),
      'c2',
    );
    expect(/<path class="ln" d="([^"]*)"/.exec(svg)![1].match(/M/g)).toHaveLength(2);
    expect(svg).toMatch(
      /k-set"[^>]*><title>[^<]*not enforced[^<]*<\/title><path d="[^"]+" fill="#fff" stroke="#6B7280"/,
    );
  });

  test('a derived signal shows its evidence as dots, never joined; an empty panel says it waits', () => {
    const derived = draw(panel({ points: [], derived: true }), null, at(30), config(), 'c3').svg;
    expect(/<path class="ln" d="([^"]*)"/.exec(derived)![1]).toBe('');
    expect(derived.match(/class="ev"[^>]*r="4.5"/g)).toHaveLength(2);
    const empty = draw(panel({ points: [], evidence: [] }), null, null, config(), 'c4').svg;
    expect(empty).toContain('Waiting for data');
  });
});
