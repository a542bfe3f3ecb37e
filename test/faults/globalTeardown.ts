/**
 * Jest globalTeardown of the faults tier: stops and deletes the broker instances this run
 * started that a test did not stop itself (a timeout, a crash). HOMEOSTAT_KEEP_INSTANCES=1
 * keeps them (and their logs under .services/instances/) for a post-mortem.
 */
import { INSTANCE_OWNER_ENV, stopInstances } from '../helpers/instance';

export default async function globalTeardown(): Promise<void> {
  const owner = process.env[INSTANCE_OWNER_ENV];
  if (owner === undefined || process.env.HOMEOSTAT_KEEP_INSTANCES === '1') return;
  await stopInstances({ owner });
}
