/**
 * Leases on the shared services for a test run (scripts/services.sh, scripts/services/leases.sh):
 * `leaseServices` makes sure they answer — starting local ones unless KAFKA_BROKERS /
 * SCHEMA_REGISTRY_URL point elsewhere (the script then only checks those) — and takes a lease
 * in this process's name, so that `releaseServices` stops only services a test run launched,
 * and only when no other test run still uses them.
 */
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { HomeostatError } from '../../src/errors';
import { LEASE_ENV, SERVICES_SCRIPT } from './services';

export type Service = 'kafka' | 'registry';

/** Starts (or checks) `services`, holds a lease, and exports their KAFKA_BROKERS / SCHEMA_REGISTRY_URL to the workers. */
export function leaseServices(services: readonly Service[]): void {
  const lease = String(process.pid);
  // stdout carries only the KEY=VALUE lines; progress goes to stderr. Starting services takes
  // a while (a first start downloads Kafka), so its progress is shown as it happens; when every
  // one asked for is given and only checked, a passing run stays quiet and a failing check shows it all.
  const given = { kafka: process.env.KAFKA_BROKERS, registry: process.env.SCHEMA_REGISTRY_URL };
  const onlyChecking = services.every((s) => Boolean(given[s]));
  const result = spawnSync('bash', [SERVICES_SCRIPT, 'start', ...services], {
    cwd: dirname(dirname(SERVICES_SCRIPT)),
    env: { ...process.env, SERVICES_LEASE: lease },
    stdio: ['ignore', 'pipe', onlyChecking ? 'pipe' : 'inherit'],
    encoding: 'utf8',
  });
  if (result.error !== undefined || result.status !== 0) {
    if (onlyChecking && typeof result.stderr === 'string') process.stderr.write(result.stderr);
    throw new HomeostatError(
      'PREREQUISITE_MISSING',
      `bash scripts/services.sh start ${services.join(' ')} failed (${result.error?.message ?? `exit ${String(result.status)}`}); ` +
        'see its messages above, or set KAFKA_BROKERS and SCHEMA_REGISTRY_URL to running services',
      { cause: result.error },
    );
  }
  process.env[LEASE_ENV] = lease;
  // Workers are forked after globalSetup, so they inherit these.
  for (const line of result.stdout.split('\n')) {
    const match = /^(KAFKA_BROKERS|SCHEMA_REGISTRY_URL)=(.+)$/.exec(line.trim());
    if (match !== null) process.env[match[1]] = match[2];
  }
}

/**
 * Releases leaseServices' lease, which stops the services a test run launched once no other
 * run uses them; services started by hand (`npm run services:start`) or given by
 * KAFKA_BROKERS / SCHEMA_REGISTRY_URL are left alone. HOMEOSTAT_KEEP_SERVICES=1 skips the
 * release, leaving them running for the next run.
 */
export function releaseServices(): void {
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
