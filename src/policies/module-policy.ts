/**
 * `type: module` — a user's own policy, loaded from a file. This file is pure: it holds
 * the config schema, the factory contract and the shape check; the `require` itself is
 * edge I/O and lives in module-loader.ts.
 */
import { z } from 'zod';
import { ConfigError } from '../errors';
import type { WindowSignal } from '../model/signal';
import { baseFields } from './config-base';
import type { Selector } from './select';
import type { Policy, PolicyResult, PolicyView } from './types';

export const modulePolicyConfigSchema = z
  .object({
    ...baseFields,
    type: z.literal('module'),
    /** Path of a CommonJS module (compiled .js, or .ts when running under tsx), relative to the working directory. */
    module: z.string().min(1, 'give the path of the policy module'),
    /** Passed to the module's factory as is. */
    parameters: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export type ModulePolicyConfig = z.infer<typeof modulePolicyConfigSchema>;

/** What a policy module's factory receives. */
export interface PolicyFactoryInput {
  name: string;
  parameters: Record<string, unknown>;
  select: Selector;
}

/**
 * A policy module exports this as `createPolicy` or as its default export (or is this
 * function). It returns a Policy; its `name` is replaced by the configured name and its
 * `version` folded into the configured policy's version.
 */
export type PolicyFactory = (input: PolicyFactoryInput) => Policy<unknown>;

/** Checks that `value` has the Policy shape; throws a ConfigError naming `where` and the fix. */
export function assertPolicyShape(value: unknown, where: string): Policy<unknown> {
  const issues: string[] = [];
  if (value === null || typeof value !== 'object') {
    throw new ConfigError([
      `${where}: the factory returned ${value === null ? 'null' : typeof value}; return an object { name, version, init(), evaluate() }`,
    ]);
  }
  const v = value as Record<string, unknown>;
  if (typeof v.name !== 'string' || v.name === '') issues.push(`${where}: name must be a non-empty string`);
  if (typeof v.version !== 'string' || v.version === '')
    issues.push(`${where}: version must be a non-empty string (e.g. '1' or a hash of your code)`);
  if (typeof v.init !== 'function') issues.push(`${where}: init must be a function () => initialState`);
  if (typeof v.evaluate !== 'function') {
    issues.push(`${where}: evaluate must be a function (state, signals, eventTime, view) => { state, proposals }`);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return value as Policy<unknown>;
}

/** Wraps a module's policy so that it carries the configured name and version. */
export function wrapModulePolicy(inner: Policy<unknown>, name: string, version: string): Policy<unknown> {
  return {
    name,
    version,
    init: () => inner.init(),
    evaluate: (
      state: unknown,
      signals: readonly WindowSignal[],
      eventTime: number,
      view: PolicyView,
    ): PolicyResult<unknown> => inner.evaluate(state, signals, eventTime, view),
  };
}
