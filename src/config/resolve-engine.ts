import { engineConfigIssues, resolveEngineConfig, type EngineConfig } from '../core';
import { ConfigError } from '../errors';
import type { HomeostatConfig } from './homeostat-config';

/** The engine's fully defaulted config from the YAML section (cross-field rules checked here). */
export function engineConfigFrom(config: HomeostatConfig): EngineConfig {
  const e = config.engine;
  const resolved = resolveEngineConfig({
    ...e,
    idleAfterMs: e.idleAfterMs === 'never' ? Infinity : e.idleAfterMs,
  });
  const issues = engineConfigIssues(resolved);
  if (issues.length > 0) throw new ConfigError(issues.map((i) => `engine.${i}`));
  return resolved;
}
