/**
 * Jest globalSetup of the integration tier: makes sure a broker and a registry answer,
 * starting local ones with scripts/services.sh unless KAFKA_BROKERS / SCHEMA_REGISTRY_URL
 * point elsewhere (the script then only checks those). The start takes a lease in this
 * process's name, so that globalTeardown stops only services a test run launched, and only
 * when no other test run still uses them (scripts/services/leases.sh).
 */
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { HomeostatError } from '../../src/errors';
import { LEASE_ENV, SERVICES_SCRIPT } from './services';

export default function globalSetup(): void {
  const lease = String(process.pid);
  // stdout carries only the KEY=VALUE lines; progress goes to stderr. Starting services takes
  // a while (a first start downloads Kafka), so its progress is shown as it happens; when both
  // are given and only checked, a passing run stays quiet and a failing check shows it all.
  const onlyChecking = Boolean(process.env.KAFKA_BROKERS) && Boolean(process.env.SCHEMA_REGISTRY_URL);
  const result = spawnSync('bash', [SERVICES_SCRIPT, 'start'], {
    cwd: dirname(dirname(SERVICES_SCRIPT)),
    env: { ...process.env, SERVICES_LEASE: lease },
    stdio: ['ignore', 'pipe', onlyChecking ? 'pipe' : 'inherit'],
    encoding: 'utf8',
  });
  if (result.error !== undefined || result.status !== 0) {
    if (onlyChecking && typeof result.stderr === 'string') process.stderr.write(result.stderr);
    throw new HomeostatError(
      'PREREQUISITE_MISSING',
      `bash scripts/services.sh start failed (${result.error?.message ?? `exit ${String(result.status)}`}); ` +
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
