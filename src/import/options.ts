/**
 * Import options checked once, up front, into a fully-defaulted shape; every problem is reported
 * together in one ConfigError naming the key, the value and the fix.
 */
import { ConfigError } from '../errors';
import type { CsvOptions, ImportMapping, ImportOptions } from './types';

export const DEFAULT_MAX_LINE_LENGTH = 1 << 20;
export const DEFAULT_CHUNK_SIZE = 1 << 20;

export interface ResolvedImportOptions {
  mapping: ImportMapping | undefined;
  format: 'auto' | 'csv' | 'jsonl';
  csv: CsvOptions | undefined;
  /** 1 when not given. */
  valueScale: number;
  labelTag: string | undefined;
  rebaseTo: number | undefined;
  maxLineLength: number;
  chunkSize: number;
  totalBytes: number | undefined;
}

function isPositiveInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

function checkMapping(m: ImportMapping, issues: string[]): void {
  if (typeof m.source !== 'string' || m.source === '')
    issues.push(`mapping.source ${JSON.stringify(m.source)} must be a non-empty string (--source, e.g. api-01)`);
  if (typeof m.metric !== 'string' || m.metric === '')
    issues.push(`mapping.metric ${JSON.stringify(m.metric)} must be a non-empty string (--metric, e.g. requests)`);
  if (typeof m.tags !== 'object' || m.tags === null || Array.isArray(m.tags)) {
    issues.push('mapping.tags must be an object of string values (--tag key=value); use {} for none');
  } else {
    for (const [k, v] of Object.entries(m.tags)) {
      if (typeof v !== 'string') issues.push(`mapping.tags.${k} must be a string, got ${JSON.stringify(v)}`);
    }
    if (Object.prototype.hasOwnProperty.call(m.tags, '__proto__'))
      issues.push("mapping.tags may not use the key '__proto__'");
  }
  if (m.valueScale !== undefined && (typeof m.valueScale !== 'number' || !Number.isFinite(m.valueScale))) {
    issues.push(`mapping.valueScale ${String(m.valueScale)} must be a finite number (omit it for 1)`);
  }
  if (m.labelTag !== undefined && (typeof m.labelTag !== 'string' || m.labelTag === '' || m.labelTag === '__proto__')) {
    issues.push(
      `mapping.labelTag ${JSON.stringify(m.labelTag)} must be a non-empty tag name such as 'label' (omit it to keep labels out of tags)`,
    );
  }
}

export function resolveImportOptions(options: ImportOptions): ResolvedImportOptions {
  const issues: string[] = [];
  const { mapping } = options;
  if (mapping !== undefined) checkMapping(mapping, issues);
  const format = options.format ?? 'auto';
  if (format !== 'auto' && format !== 'csv' && format !== 'jsonl')
    issues.push(`format '${String(format)}' must be 'auto', 'csv' or 'jsonl'`);
  if (options.rebaseTo !== undefined && !Number.isSafeInteger(options.rebaseTo)) {
    issues.push(`rebaseTo ${String(options.rebaseTo)} must be an integer epoch ms (--shift-to)`);
  }
  const maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  if (!isPositiveInt(maxLineLength)) issues.push(`maxLineLength ${String(maxLineLength)} must be a positive integer`);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!isPositiveInt(chunkSize)) issues.push(`chunkSize ${String(chunkSize)} must be a positive integer`);
  if (options.totalBytes !== undefined && !(Number.isSafeInteger(options.totalBytes) && options.totalBytes >= 0)) {
    issues.push(`totalBytes ${String(options.totalBytes)} must be a non-negative integer`);
  }
  const eu = options.csv?.epochUnit;
  if (eu !== undefined && eu !== 'ms' && eu !== 's') issues.push(`csv.epochUnit '${String(eu)}' must be 'ms' or 's'`);
  if (issues.length > 0) throw new ConfigError(issues);
  return {
    mapping,
    format,
    csv: options.csv,
    valueScale: mapping?.valueScale ?? 1,
    labelTag: mapping?.labelTag,
    rebaseTo: options.rebaseTo,
    maxLineLength,
    chunkSize,
    totalBytes: options.totalBytes,
  };
}
