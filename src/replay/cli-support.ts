/**
 * Small pieces the import, replay, diff and report commands share: parsing time and tag flags,
 * printing row errors the same way everywhere, and the one-line summaries.
 */
import { HomeostatError } from '../errors';
import type { Mode } from '../model/command';
import { formatImportError, parseTimestamp, type ImportErrorEvent } from '../import';
import { formatCount } from './progress';
import type { ReplayCounters } from './replay';

/** `2014-03-07T00:00:00Z`, `2014-03-07 00:00` (UTC when no zone) or epoch ms. */
export function parseTimeArg(text: string, flag: string): number {
  const t = text.trim();
  if (/^-?\d+$/.test(t)) {
    const n = Number(t);
    if (Number.isSafeInteger(n)) return n;
  }
  const ms = parseTimestamp(t);
  if (Number.isNaN(ms)) {
    throw new HomeostatError(
      'USAGE',
      `${flag} '${text}' is not a time: give an ISO-8601 date-time ` +
        '(UTC when it has no zone, e.g. 2014-03-07T00:00:00Z) or epoch milliseconds',
    );
  }
  return ms;
}

/** Commander collector for repeatable flags. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `--tag k=v` values into a tag map; refuses a missing `=`, an empty key and repeats with different values. */
export function parseTags(pairs: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new HomeostatError('USAGE', `--tag '${pair}' must be key=value, e.g. --tag service=api`);
    const k = pair.slice(0, eq).trim();
    const v = pair.slice(eq + 1);
    if (k === '__proto__') throw new HomeostatError('USAGE', "--tag may not use the key '__proto__'");
    if (Object.prototype.hasOwnProperty.call(tags, k) && tags[k] !== v) {
      throw new HomeostatError('USAGE', `--tag ${k} is given twice with different values ('${tags[k]}', '${v}')`);
    }
    tags[k] = v;
  }
  return tags;
}

const MODES: readonly Mode[] = ['shadow', 'canary', 'enforce'];

export function parseMode(text: string | undefined): Mode | undefined {
  if (text === undefined) return undefined;
  if (!(MODES as readonly string[]).includes(text))
    throw new HomeostatError('USAGE', `--mode must be shadow, canary or enforce, got '${text}'`);
  return text as Mode;
}

/** A CSV column flag: a number is a 0-based index, anything else a header name. */
export function parseColumn(text: string | undefined): string | number | undefined {
  if (text === undefined) return undefined;
  return /^\d+$/.test(text) ? Number(text) : text;
}

export function parsePositiveInt(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new HomeostatError('USAGE', `${flag} must be a positive integer, got '${text}'`);
  return n;
}

/** Prints the first `max` malformed rows as `line N: reason`, then only counts them. */
export function createErrorPrinter(
  write: (line: string) => void,
  max = 20,
): { add(ev: ImportErrorEvent, file?: string): void; count(): number; finish(): void } {
  let n = 0;
  return {
    add(ev, file) {
      n++;
      if (n <= max) write(`${file === undefined ? '' : `${file}: `}${formatImportError(ev)}\n`);
    },
    count: () => n,
    finish() {
      if (n > max) write(`… and ${n - max} more malformed line${n - max === 1 ? '' : 's'} (${n} in all)\n`);
    },
  };
}

/** The replay's closing summary, several lines. */
export function formatReplaySummary(c: ReplayCounters, elapsedSec: number, extra: readonly string[] = []): string {
  const rate = elapsedSec > 0 ? c.inputs / elapsedSec : 0;
  const kinds = Object.entries(c.decisionsByKind)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const eventSpan =
    c.firstEventTime === null
      ? '—'
      : `${new Date(c.firstEventTime).toISOString()} → ${new Date(c.lastEventTime ?? c.firstEventTime).toISOString()}`;
  const lines = [
    `replayed ${c.inputs} records in ${elapsedSec.toFixed(2)} s (${formatCount(rate)} events/s)`,
    `  event time   ${eventSpan}`,
    `  windows      ${c.evaluations} evaluated, ${c.windowsClosed} closed; ${c.finals} final signals`,
    `  records      ${c.aggregated} aggregated, ${c.late} late, ${c.deadLettered} dead-lettered`,
    `  commands     ${c.commands}`,
    `  decisions    ${c.decisions}${kinds === '' ? '' : ` (${kinds})`}`,
    ...extra.map((l) => `  ${l}`),
  ];
  return `${lines.join('\n')}\n`;
}
