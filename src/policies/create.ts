/**
 * From a plain config object (one entry of the `policies:` list) to a ConfiguredPolicy:
 * validate with the type's zod schema (defaults filled, cross-field checks, messages that
 * name key, value and fix), compute the version, build the policy.
 */
import { z } from 'zod';
import { ConfigError } from '../errors';
import { describeIssues } from '../guardrails/validate';
import { adaptiveTimeoutConfigSchema } from './adaptive-timeout.config';
import { createAdaptiveTimeout } from './adaptive-timeout';
import { POLICY_TYPES, policyVersion } from './config-base';
import { herdControlConfigSchema } from './herd-control.config';
import { createHerdControl } from './herd-control';
import { modulePolicyConfigSchema, wrapModulePolicy, type PolicyFactory } from './module-policy';
import type { ConfiguredPolicy, Policy } from './types';
import { watermarkQuotaConfigSchema } from './watermark-quota.config';
import { createWatermarkQuota } from './watermark-quota';

export const policyConfigSchema = z.discriminatedUnion('type', [
  adaptiveTimeoutConfigSchema,
  herdControlConfigSchema,
  watermarkQuotaConfigSchema,
  modulePolicyConfigSchema,
]);

/** A validated, fully defaulted policy config. */
export type PolicyConfig = z.infer<typeof policyConfigSchema>;

export interface CreatePolicyOptions {
  /** Key prefix for error messages, e.g. `policies.0`. */
  path?: string;
  /** Loads `type: module` factories (normally loadPolicyModule); required only for those. */
  loadModule?: (path: string) => PolicyFactory;
}

/** Validates one policy entry; throws a ConfigError listing every problem. */
export function parsePolicyConfig(input: unknown, path = 'policy'): PolicyConfig {
  const t = input !== null && typeof input === 'object' ? (input as Record<string, unknown>).type : undefined;
  if (typeof t !== 'string' || !(POLICY_TYPES as readonly string[]).includes(t)) {
    throw new ConfigError([
      `${path}.type: got ${JSON.stringify(t) ?? 'nothing'}: use one of ${POLICY_TYPES.join(', ')}`,
    ]);
  }
  const result = policyConfigSchema.safeParse(input);
  if (!result.success) throw new ConfigError(describeIssues(result.error, input, path));
  return result.data;
}

export function createPolicy(input: unknown, opts: CreatePolicyOptions = {}): ConfiguredPolicy {
  const path = opts.path ?? 'policy';
  const config = parsePolicyConfig(input, path);
  let policy: Policy<unknown>;
  let version: string;
  switch (config.type) {
    case 'adaptive-timeout':
      version = policyVersion(config);
      policy = createAdaptiveTimeout(config, version);
      break;
    case 'herd-control':
      version = policyVersion(config);
      policy = createHerdControl(config, version);
      break;
    case 'watermark-quota':
      version = policyVersion(config);
      policy = createWatermarkQuota(config, version);
      break;
    case 'module': {
      if (!opts.loadModule) {
        throw new ConfigError([
          `${path}.module: type 'module' needs a module loader; pass loadModule (loadPolicyModule) to createPolicy`,
        ]);
      }
      const inner = opts.loadModule(config.module)({
        name: config.name,
        parameters: config.parameters,
        select: config.select,
      });
      version = policyVersion(config, { moduleVersion: inner.version });
      policy = wrapModulePolicy(inner, config.name, version);
      break;
    }
  }
  return {
    name: config.name,
    version,
    type: config.type,
    mode: config.mode,
    maxControlMode: config.maxControlMode,
    canaryFraction: config.canary.fraction,
    guardrails: config.guardrails,
    policy,
  };
}

/** Creates every policy of a `policies:` list; names must be unique. */
export function createPolicies(
  inputs: readonly unknown[],
  opts: Omit<CreatePolicyOptions, 'path'> = {},
): ConfiguredPolicy[] {
  const issues: string[] = [];
  const out: ConfiguredPolicy[] = [];
  inputs.forEach((input, i) => {
    try {
      out.push(createPolicy(input, { ...opts, path: `policies.${i}` }));
    } catch (err) {
      if (err instanceof ConfigError) issues.push(...err.issues);
      else throw err;
    }
  });
  const seen = new Set<string>();
  out.forEach((p) => {
    if (seen.has(p.name)) issues.push(`policies: name '${p.name}' is used twice; give every policy a distinct name`);
    seen.add(p.name);
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return out;
}
