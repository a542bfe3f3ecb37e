/** Tables: alignment, off/on comparison verdicts, the scoring block. */
import { compareCells, numericCell, renderTable, scoringTable } from '../../../src/report/table';

describe('numericCell', () => {
  it('reads numbers and numbers with a unit, and nothing else', () => {
    expect(numericCell(12)).toEqual({ value: 12, unit: '' });
    expect(numericCell('1,234.5')).toEqual({ value: 1234.5, unit: '' });
    expect(numericCell('−12 %')).toEqual({ value: -12, unit: '%' });
    expect(numericCell('850 ms')).toEqual({ value: 850, unit: 'ms' });
    expect(numericCell('worker-07')).toBeUndefined();
    expect(numericCell('2 (67%)')).toBeUndefined();
    expect(numericCell(null)).toBeUndefined();
    expect(numericCell(Number.NaN)).toBeUndefined();
  });
});

describe('compareCells', () => {
  it('judges by the declared direction and reports relative change', () => {
    expect(compareCells(61, 4, 'lower')).toEqual({ text: '▼ −93.4%', verdict: 'better' });
    expect(compareCells(902, 905, 'lower')?.verdict).toBe('worse');
    expect(compareCells(902, 905, 'higher')?.verdict).toBe('better');
    expect(compareCells(5, 5, 'higher')?.verdict).toBe('same');
    expect(compareCells(1, 2, 'neutral')?.verdict).toBe('neutral');
    expect(compareCells(0, 3, 'lower')).toEqual({ text: '▲ +3', verdict: 'worse' });
    expect(compareCells('12%', '9%', 'lower')?.text).toBe('▼ −3 pp');
    expect(compareCells('5 s', '900 ms', 'lower')).toBeUndefined(); // units differ: no verdict
  });
});

describe('renderTable', () => {
  const table = {
    columns: ['metric', 'off', 'on'],
    rows: [
      ['p99 (ms)', 2214, 812],
      ['throughput', 902, 880],
      ['label', 'a', 'b'],
    ],
    compare: { baseline: 1, candidate: 2, better: ['lower' as const, 'higher' as const] },
    notes: ['n1 <b>'],
  };

  it('right-aligns numeric columns and adds a Δ column with verdicts', () => {
    const html = renderTable({ ...table, rows: table.rows.slice(0, 2) });
    expect(html).toContain('<th scope="col" class="num base">off</th>');
    expect(html).toContain('<th scope="col">metric</th>');
    expect(html).toContain('<td class="num cand better">812</td>');
    expect(html).toContain('<td class="num cand worse">880</td>');
    expect(html).toMatch(/<td class="num delta better" title="better">▼ −63.3%/);
    expect(html).toContain('<li>n1 &lt;b&gt;</li>');
  });

  it('leaves rows without numbers or direction unjudged', () => {
    const html = renderTable(table);
    expect(html).toContain('<td class="cand">b</td><td class="num delta"></td>');
    expect(html.match(/better|worse/g)?.length).toBeGreaterThan(0);
  });

  it('ignores a comparison naming columns that do not exist', () => {
    const html = renderTable({ ...table, compare: { baseline: 1, candidate: 7 } });
    expect(html).not.toContain('Δ');
  });
});

describe('scoringTable', () => {
  it('renders the labelled-data scoring block as a plain table', () => {
    const t = scoringTable({
      windows: 3,
      windowsActedOn: 2,
      meanDelayMs: 20 * 60_000,
      actionsOutsideWindows: 1,
      actions: 4,
    });
    expect(t.rows).toContainEqual(['Windows acted on', '2 (66.7%)']);
    expect(t.rows).toContainEqual(['Mean delay from window start to first action', '20 min']);
    expect(t.rows).toContainEqual(['Mean lead of first action before window end', null]);
    expect(t.rows).toContainEqual(['Actions outside every window', '1 (25%)']);
    const html = renderTable(t);
    expect(html).toContain('<td class="num">—</td>');
  });
});
