/**
 * The processor's decision path, Kafka aside: the configured policies → the decision engine
 * (guardrails, modes, signed commands) → the decision stage, with the verifier of enforced
 * commands. The composition root (processor.ts) puts it into the runner's transactions; the
 * fault tier's reference run drives it in memory. Both build it here, so the uninterrupted
 * run a faulty one is compared with decides with the very assembly `homeostat run` uses.
 *
 * No Kafka, no clock: the only I/O is loading a policy module the config names.
 */
import type { SigningKey } from '../actions';
import type { HomeostatConfig } from '../config/homeostat-config';
import type { Mode } from '../model/command';
import { createDecisionStage, type DecisionStage } from '../pipeline/decide';
import {
  createDecisionEngine,
  createPolicies,
  loadPolicyModule,
  type ConfiguredPolicy,
  type DecisionEngine,
  type DecisionEngineOptions,
} from '../policies';
import { createVerifier, type Verifier } from '../verify';

export type DecisionPathConfig = Pick<HomeostatConfig, 'policies' | 'guardrails' | 'mode' | 'control' | 'verification'>;

export interface DecisionPathOptions {
  /** Signs every command. */
  signing: SigningKey;
  /**
   * Default true. Off, the stage tracks no outcomes and issues none of the verifier's
   * `.revert` commands: the demo compares its run with an in-process loop that has none.
   */
  verifier?: boolean;
}

export interface DecisionPath {
  /** The policies as configured: mode and guardrail overrides included. */
  readonly policies: readonly ConfiguredPolicy[];
  readonly engine: DecisionEngine;
  /** What the engine was built from: a split stage two's shards and arbiter build their Setup from it. */
  readonly engineOptions: DecisionEngineOptions;
  readonly verifier?: Verifier;
  readonly stage: DecisionStage;
  /** Effective mode of every policy now: --mode, else the control plane's (restored with the state), else the config's. */
  modes(): Record<string, Mode>;
}

export function buildDecisionPath(config: DecisionPathConfig, o: DecisionPathOptions): DecisionPath {
  const policies = createPolicies(config.policies, { loadModule: (path) => loadPolicyModule(path) });
  const engineOptions: DecisionEngineOptions = {
    policies,
    guardrails: config.guardrails,
    modeOverride: config.mode ?? null,
    signing: o.signing,
    control: { maxExclusions: config.control.maxExclusions },
  };
  const engine = createDecisionEngine(engineOptions);
  const verifier = o.verifier === false ? undefined : createVerifier(config.verification);
  const stage = createDecisionStage(engine, { verifier, signing: o.signing });
  return {
    policies,
    engine,
    engineOptions,
    verifier,
    stage,
    modes: () => Object.fromEntries(engine.policies.map((p) => [p.name, engine.modeOf(stage.state().engine, p.name)])),
  };
}
