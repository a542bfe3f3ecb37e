/**
 * What `homeostat run` tells the operator at start, before it acts: settings that let a
 * command be refused by its executors, policies that chose a blast-radius cap any producer
 * can inflate, and the mode each policy runs in (shadow is the default and does nothing).
 */
import { resolveTelemetryLimits } from '../codec';
import type { HomeostatConfig } from '../config/homeostat-config';
import { engineConfigFrom } from '../config/resolve-engine';
import { parseGuardrails, resolvePolicyGuardrails } from '../guardrails';
import type { Logger } from '../ops/logger';
import type { DecisionPath } from './decision-path';

/** Warns when a window can close past this host's clock, so that its commands carry an issuedAt executors refuse. */
export function warnIssuedAtAhead(config: HomeostatConfig, logger: Logger): void {
  const allowed = engineConfigFrom(config).allowedOutOfOrdernessMs;
  const ahead = resolveTelemetryLimits(config.limits).maxAheadOfLogTimeMs;
  if (ahead <= allowed) return;
  // A window can then close up to (ahead − allowance) past the processor's clock, and its commands carry that issuedAt.
  logger.warn(
    { maxAheadOfLogTimeMs: ahead, allowedOutOfOrdernessMs: allowed },
    'limits.maxAheadOfLogTimeMs exceeds engine.allowedOutOfOrdernessMs: commands may carry an issuedAt up to ' +
      `${Number.isFinite(ahead) ? `${ahead - allowed} ms` : 'any time'} ahead of this host's clock, ` +
      'which executors refuse past their maxClockSkewMs; keep it at or below allowedOutOfOrdernessMs',
  );
}

/** One line per policy with the mode it runs in, and a warning for each that acts on a telemetry-counted fleet. */
export function announcePolicies(config: HomeostatConfig, decisions: DecisionPath, logger: Logger): void {
  const guardrails = parseGuardrails(config.guardrails);
  for (const p of decisions.engine.policies) {
    const configured = decisions.policies.find((x) => x.name === p.name);
    const mode = config.mode ?? configured?.mode ?? 'shadow';
    // Without a fleet size an acting policy is refused (config/fleet-size.ts); `observed` is the operator's choice, said once.
    if (
      mode !== 'shadow' &&
      resolvePolicyGuardrails(guardrails, configured?.guardrails ?? {}, p.name).blastRadius.fleetSize === 'observed'
    ) {
      logger.warn(
        { policy: p.name },
        `policy ${p.name} acts with a blast-radius cap counted from observed targets (fleetSize: observed), ` +
          'which any telemetry producer can inflate; set guardrails.blastRadius.fleetSize to a number (docs/security.md)',
      );
    }
    logger.info(
      { policy: p.name, type: p.type, version: p.version, mode },
      mode === 'shadow'
        ? `policy ${p.name} runs in SHADOW mode: it decides and records, executors never apply its commands ` +
            '(set mode: enforce or --mode to act)'
        : `policy ${p.name} runs in ${mode} mode`,
    );
  }
  if (decisions.policies.length === 0) logger.info('no policies configured: computing signals only');
}
