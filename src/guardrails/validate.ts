/**
 * zod → ConfigError, with messages that name the key, the value and the fix. Pure (no
 * file or logger), so that core modules can validate the plain objects the edge parsed.
 */
import type { z, ZodTypeAny } from 'zod';
import { ConfigError } from '../errors';

/** The value at `path` of a parsed input, or undefined; for messages that show what was given. */
export function valueAt(input: unknown, path: readonly (string | number)[]): unknown {
  let cur: unknown = input;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = JSON.stringify(value);
  return s === undefined ? `a ${typeof value}` : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** The issues of a failed parse as "prefix.key: got <value>: <problem and fix>" lines. */
export function describeIssues(error: z.ZodError, input: unknown, prefix: string): string[] {
  return error.issues.map((issue) => {
    const key = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.') || '(top level)';
    if (issue.code === 'unrecognized_keys') {
      return `${key}: unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}; check the spelling against docs/policies.md`;
    }
    return `${key}: got ${show(valueAt(input, issue.path))}: ${issue.message}`;
  });
}

/** Parses `input` with `schema`, returning the defaulted value or throwing a ConfigError. */
export function parseConfig<S extends ZodTypeAny>(schema: S, input: unknown, prefix: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data as z.infer<S>;
  throw new ConfigError(describeIssues(result.error, input, prefix));
}
