/**
 * From the YAML config that `homeostat run` uses to the replay's pipeline options: the same
 * engine settings, the same policies and guardrails, the same mode override. The one deliberate
 * difference is signing: `run` falls back to a random development key, which would make every
 * replay's signatures differ; a replay signs only with a configured key (file or environment)
 * and otherwise writes unsigned commands (keyId and signature '').
 */
import { loadSigningKey, SIGNING_KEY_ENV, type SigningKey } from '../actions';
import type { Mode } from '../model/command';
import type { HomeostatConfig } from '../config/homeostat-config';
import { engineConfigFrom } from '../config/resolve-engine';
import { createDecisionEngine, createPolicies, loadPolicyModule, type PolicyFactory } from '../policies';
import type { ReplayOptions } from './replay';

export interface ReplaySetupOptions {
  /** Partitions owned from the start (one per input file, or the topic's). */
  partitions?: readonly number[];
  partitionCount?: number;
  /** Overrides every policy's mode (the CLI's --mode); default: config.mode, else each policy's own. */
  mode?: Mode;
  /** Environment for HOMEOSTAT_SIGNING_KEY / _ID. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Loader for `type: module` policies. Default loadPolicyModule. */
  loadModule?: (path: string) => PolicyFactory;
}

export interface ReplaySetup extends ReplayOptions {
  /** Where the signing key came from; 'none' means commands are unsigned. */
  signing: 'file' | 'env' | 'none';
  keyId: string | null;
  policies: readonly { name: string; type: string; version: string; mode: Mode }[];
}

/** The signing key a replay may use: a configured one only, never a generated one. */
export function replaySigningKey(
  config: HomeostatConfig,
  env: NodeJS.ProcessEnv = process.env,
): { key: SigningKey | null; source: 'file' | 'env' | 'none' } {
  const configured =
    config.signing.keyFile !== undefined || (env[SIGNING_KEY_ENV] !== undefined && env[SIGNING_KEY_ENV] !== '');
  if (!configured) return { key: null, source: 'none' };
  const loaded = loadSigningKey({
    keyFile: config.signing.keyFile,
    keyId: config.signing.keyId,
    audiences: config.signing.audiences,
    env,
  });
  // Unreachable by construction (a key is configured), kept as a guard against a generated key.
  if (loaded.source === 'generated') return { key: null, source: 'none' };
  return { key: loaded, source: loaded.source };
}

export function replaySetupFromConfig(config: HomeostatConfig, options: ReplaySetupOptions = {}): ReplaySetup {
  const engine = engineConfigFrom(config);
  const policies = createPolicies(config.policies, { loadModule: options.loadModule ?? ((p) => loadPolicyModule(p)) });
  const signing = replaySigningKey(config, options.env);
  const modeOverride = options.mode ?? config.mode ?? null;
  const decisions = createDecisionEngine({
    policies,
    guardrails: config.guardrails,
    modeOverride,
    signing: signing.key,
  });
  return {
    engine,
    decisions,
    partitions: options.partitions,
    partitionCount: options.partitionCount,
    signing: signing.source,
    keyId: signing.key?.keyId ?? null,
    policies: policies.map((p) => ({ name: p.name, type: p.type, version: p.version, mode: modeOverride ?? p.mode })),
  };
}
