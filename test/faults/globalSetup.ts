/**
 * Jest globalSetup of the faults tier: each test file starts broker instances of its own
 * (test/helpers/instance.ts), never the shared broker. This removes instances left behind by
 * an earlier run that died, and names this run as the owner of the instances it will start,
 * so that globalTeardown removes exactly those.
 *
 * The Schema Registry is the shared one (Avro telemetry is registered there, as in
 * production): started through scripts/services.sh under a lease of this run unless
 * SCHEMA_REGISTRY_URL names one — the integration tier, run before, may have stopped it.
 */
import { INSTANCE_OWNER_ENV, stopInstances } from '../helpers/instance';
import { leaseServices } from '../helpers/services-lease';

export default async function globalSetup(): Promise<void> {
  await stopInstances('orphans');
  // Workers are forked after globalSetup, so they inherit it.
  process.env[INSTANCE_OWNER_ENV] = String(process.pid);
  leaseServices(['registry']);
}
