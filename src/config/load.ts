import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z, ZodTypeAny } from 'zod';
import { ConfigError, HomeostatError } from '../errors';
import { valueAt } from '../guardrails/validate';

/** Reads a YAML file into a plain object; a missing or unparsable file is a clear ConfigError. */
export function readYamlFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new HomeostatError(
      'CONFIG_INVALID',
      `cannot read config file ${path}: ${(err as Error).message}; pass an existing file with --config`,
      { cause: err },
    );
  }
  try {
    return parseYaml(text) ?? {};
  } catch (err) {
    throw new HomeostatError('CONFIG_INVALID', `config file ${path} is not valid YAML: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Keys whose values are secrets: never echoed in an error, at any depth. */
const SECRET_KEY = /pass(word)?|secret|token|credential|private|(^|[^a-z])key$/i;

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k,
      SECRET_KEY.test(k) ? '<redacted>' : redact(v),
    ]),
  );
}

function show(value: unknown, path: readonly (string | number)[]): string {
  if (value === undefined) return 'nothing';
  const last = path[path.length - 1];
  if (typeof last === 'string' && SECRET_KEY.test(last)) return '<redacted>';
  const s = JSON.stringify(redact(value));
  return s === undefined ? typeof value : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Validates `input` against `schema` and returns the fully defaulted value, or throws a
 * ConfigError listing every problem as "key: got <value>: <what is wrong / the fix>".
 * Secrets (passwords, tokens, keys) are shown as <redacted>, at any depth.
 */
export function validateConfig<S extends ZodTypeAny>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data as z.infer<S>;
  const issues = result.error.issues.map((issue) => {
    const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    if (issue.code === 'unrecognized_keys') {
      return `${key}: unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}; check the spelling against docs/config.md`;
    }
    return `${key}: got ${show(valueAt(input, issue.path), issue.path)}: ${issue.message}`;
  });
  throw new ConfigError(issues);
}
