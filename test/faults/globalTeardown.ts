/**
 * Jest globalTeardown of the faults tier: stops and deletes the broker instances this run
 * started that a test did not stop itself (a timeout, a crash), and releases the registry's
 * lease. HOMEOSTAT_KEEP_INSTANCES=1 keeps the instances (and their logs under
 * .services/instances/) for a post-mortem.
 */
import { INSTANCE_OWNER_ENV, stopInstances } from '../helpers/instance';
import { releaseServices } from '../helpers/services-lease';

export default async function globalTeardown(): Promise<void> {
  releaseServices();
  const owner = process.env[INSTANCE_OWNER_ENV];
  if (owner === undefined || process.env.HOMEOSTAT_KEEP_INSTANCES === '1') return;
  await stopInstances({ owner });
}
