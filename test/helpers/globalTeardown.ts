/**
 * Jest globalTeardown of the integration and hostile tiers: releases globalSetup's lease
 * (services-lease.ts), which stops the services a test run launched once no other run uses them.
 */
import { releaseServices } from './services-lease';

export default function globalTeardown(): void {
  releaseServices();
}
