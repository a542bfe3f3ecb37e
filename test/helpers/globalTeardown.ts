/**
 * Jest globalTeardown of the integration tier: releases globalSetup's lease, which stops
 * the services a test run launched once no other run uses them; services started by hand
 * (`npm run services:start`) or given by KAFKA_BROKERS / SCHEMA_REGISTRY_URL are left alone.
 * HOMEOSTAT_KEEP_SERVICES=1 skips the release, leaving them running for the next run.
 */
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { HomeostatError } from '../../src/errors';
import { LEASE_ENV, SERVICES_SCRIPT } from './services';

export default function globalTeardown(): void {
  const lease = process.env[LEASE_ENV];
  delete process.env[LEASE_ENV];
  if (lease === undefined || process.env.HOMEOSTAT_KEEP_SERVICES === '1') return;
  const result = spawnSync('bash', [SERVICES_SCRIPT, 'release', lease], {
    cwd: dirname(dirname(SERVICES_SCRIPT)),
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  // Say what was stopped (services this run launched); a release that stops nothing is quiet.
  const said = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  const failed = result.error !== undefined || result.status !== 0;
  if (failed || said.includes('stopped')) process.stderr.write(said);
  if (failed) {
    throw new HomeostatError(
      'INVALID_STATE',
      `bash scripts/services.sh release ${lease} failed; run \`npm run services:stop\` to stop the services`,
      { cause: result.error },
    );
  }
}
