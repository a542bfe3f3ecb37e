/**
 * Loads a user's policy module by path: edge I/O (require at start), kept out of the pure
 * policy code. The module must export a factory (`createPolicy`, a default export, or the
 * module itself being a function) returning { name, version, init, evaluate }; anything
 * else is a ConfigError that says what to export.
 */
import { resolve } from 'node:path';
import { ConfigError } from '../errors';
import { assertPolicyShape, type PolicyFactory, type PolicyFactoryInput } from './module-policy';

export function loadPolicyModule(path: string, opts: { cwd?: string } = {}): PolicyFactory {
  const file = resolve(opts.cwd ?? process.cwd(), path);
  let mod: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(file);
  } catch (err) {
    throw Object.assign(
      new ConfigError([
        `policy module ${path} (${file}): cannot be loaded: ${(err as Error).message}; check the path, and compile TypeScript ` +
          `modules to .js`,
      ]),
      { cause: err },
    );
  }
  const m = mod as Record<string, unknown> | ((input: PolicyFactoryInput) => unknown);
  const factory =
    typeof m === 'function'
      ? m
      : m !== null && typeof m === 'object'
        ? typeof m.createPolicy === 'function'
          ? m.createPolicy
          : typeof m.default === 'function'
            ? m.default
            : undefined
        : undefined;
  if (factory === undefined) {
    throw new ConfigError([
      `policy module ${path}: exports no factory; export a function createPolicy(input) (or a default export) ` +
        'that returns { name, version, init(), evaluate() }',
    ]);
  }
  const fn = factory as (input: PolicyFactoryInput) => unknown;
  return (input: PolicyFactoryInput) => {
    let made: unknown;
    try {
      made = fn(input);
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw Object.assign(new ConfigError([`policy module ${path}: the factory threw: ${(err as Error).message}`]), {
        cause: err,
      });
    }
    return assertPolicyShape(made, `policy module ${path}`);
  };
}
