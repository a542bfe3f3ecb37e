/**
 * Canonical JSON: the one byte encoding used for command ids, decision ids, policy
 * versions and signatures. It follows RFC 8785 (JSON Canonicalization Scheme):
 * object keys sorted by UTF-16 code units, no whitespace, strings escaped as
 * JSON.stringify does, and numbers in ECMAScript's shortest round-trip form (which the
 * spec defines exactly, so every conforming runtime prints the same digits).
 * https://www.rfc-editor.org/rfc/rfc8785
 *
 * Deviations, all to make mistakes loud rather than silently different: non-finite
 * numbers throw (JSON has no spelling for them), `undefined` inside arrays throws
 * (JSON.stringify would turn it into null), -0 prints as 0, and object properties whose
 * value is `undefined` are omitted (as JSON.stringify does) — model objects use null.
 */
import { HomeostatError } from '../errors';

export type CanonicalValue =
  null | boolean | number | string | readonly CanonicalValue[] | { readonly [k: string]: CanonicalValue | undefined };

/**
 * Where in the value the encoder is: keys (strings) and array indexes (numbers) from the root.
 * Rendered (`$.a[0].b`) only for an error message — building it for every key and item cost
 * more than the encoding on the decision path, which encodes every command and decision.
 */
type Path = (string | number)[];

const render = (path: Path): string => `$${path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('')}`;

function formatNumber(n: number, path: Path): string {
  if (!Number.isFinite(n)) {
    throw new HomeostatError(
      'INVALID_STATE',
      `canonical JSON: ${render(path)} is ${String(n)}; only finite numbers can be encoded`,
    );
  }
  if (Object.is(n, -0)) return '0';
  return String(n);
}

function encode(value: unknown, path: Path, out: string[]): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      out.push(formatNumber(value, path));
      return;
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'object':
      break;
    default:
      throw new HomeostatError(
        'INVALID_STATE',
        `canonical JSON: ${render(path)} is a ${typeof value}; only JSON values can be encoded`,
      );
  }
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) continue; // a hole: skipped, as forEach does
      const item: unknown = value[i];
      path.push(i);
      if (item === undefined)
        throw new HomeostatError('INVALID_STATE', `canonical JSON: ${render(path)} is undefined; use null`);
      if (i > 0) out.push(',');
      encode(item, path, out);
      path.pop();
    }
    out.push(']');
    return;
  }
  const obj = value as Record<string, unknown>;
  // Default sort compares UTF-16 code units, which is what RFC 8785 §3.2.3 asks for.
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  out.push('{');
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (i > 0) out.push(',');
    out.push(JSON.stringify(k), ':');
    path.push(k);
    encode(obj[k], path, out);
    path.pop();
  }
  out.push('}');
}

/** The canonical JSON text of a JSON-like value (see the module comment for the rules). */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  encode(value, [], out);
  return out.join('');
}
