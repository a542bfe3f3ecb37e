/**
 * `homeostat diff` output: a plain-text summary an operator reads in a terminal or a ticket —
 * totals, per policy, per target, then the differences in time order — and the JSON form for
 * machines. Times are UTC ISO-8601.
 */
import type { DecisionDiff, DiffCounts, DiffEntry } from './diff';

/** Left-aligned first column, right-aligned numbers, two spaces between columns. */
export function textTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: readonly boolean[] = [],
): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (numeric[c] === true ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function iso(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString() : String(t);
}

function countsRows(by: Record<string, DiffCounts>, limit: number): string[][] {
  const keys = Object.keys(by);
  const diffs = (k: string): number => by[k].onlyA + by[k].onlyB + by[k].changed;
  // Most different first; equal ones by name, so the order is stable.
  keys.sort((x, y) => diffs(y) - diffs(x) || (x < y ? -1 : x > y ? 1 : 0));
  return keys
    .slice(0, limit)
    .map((k) => [k, String(by[k].same), String(by[k].onlyA), String(by[k].onlyB), String(by[k].changed)]);
}

function side(e: DiffEntry, which: 'a' | 'b'): string {
  const d = which === 'a' ? e.a : e.b;
  if (d === null) return '—';
  return d.guardrail === null ? d.kind : `${d.kind} (${d.guardrail})`;
}

export interface FormatDiffOptions {
  /** Labels of the two inputs (file names). */
  labelA: string;
  labelB: string;
  /** Most difference lines printed (default 50); the rest are counted. */
  limit?: number;
  /** Most targets in the per-target table (default 20). */
  targets?: number;
}

export function formatDiff(diff: DecisionDiff, options: FormatDiffOptions): string {
  const limit = options.limit ?? 50;
  const out: string[] = [];
  const t = diff.totals;
  out.push(`A: ${options.labelA} (${t.a} decisions)`);
  out.push(`B: ${options.labelB} (${t.b} decisions)`);
  for (const [policy, v] of Object.entries(diff.versions)) {
    if (v.a.join(',') !== v.b.join(','))
      out.push(`policy ${policy}: version ${v.a.join(',') || '—'} in A, ${v.b.join(',') || '—'} in B`);
  }
  if (diff.identical) {
    out.push(`identical: ${t.same} matching decisions, no action would change`);
    return `${out.join('\n')}\n`;
  }
  out.push(`different: ${t.onlyA} only in A, ${t.onlyB} only in B, ${t.changed} changed, ${t.same} the same`);
  const first = diff.entries[0];
  out.push(`first divergence: ${iso(diff.firstDivergence ?? NaN)} (${first.policy} ${first.target} ${first.action})`);
  out.push('');
  out.push('per policy');
  out.push(
    textTable(['policy', 'same', 'only A', 'only B', 'changed'], countsRows(diff.perPolicy, Infinity), [
      false,
      true,
      true,
      true,
      true,
    ]),
  );
  out.push('');
  const nTargets = Object.keys(diff.perTarget).length;
  const maxTargets = options.targets ?? 20;
  out.push(nTargets > maxTargets ? `per target (the ${maxTargets} most different of ${nTargets})` : 'per target');
  out.push(
    textTable(['target', 'same', 'only A', 'only B', 'changed'], countsRows(diff.perTarget, maxTargets), [
      false,
      true,
      true,
      true,
      true,
    ]),
  );
  out.push('');
  const shown = diff.entries.slice(0, limit);
  out.push(
    diff.entries.length > limit
      ? `differences (first ${limit} of ${diff.entries.length}; --limit shows more)`
      : 'differences',
  );
  const rows = shown.map((e) => [
    iso(e.time),
    e.policy,
    e.target,
    e.action,
    side(e, 'a'),
    side(e, 'b'),
    e.status === 'changed'
      ? e.changes.join('; ') + (e.paramsA !== undefined ? `: ${e.paramsA} → ${e.paramsB ?? ''}` : '')
      : e.status === 'onlyA'
        ? 'only in A'
        : 'only in B',
  ]);
  out.push(textTable(['time', 'policy', 'target', 'action', 'A', 'B', 'what'], rows));
  return `${out.join('\n')}\n`;
}

/** The machine form: the diff as JSON (one document, stable key order). */
export function diffJson(diff: DecisionDiff, labels: { a: string; b: string }): string {
  return `${JSON.stringify({ a: labels.a, b: labels.b, ...diff }, null, 2)}\n`;
}
