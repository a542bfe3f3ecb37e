/**
 * Jest globalSetup of the integration and hostile tiers: makes sure a broker and a registry
 * answer, starting local ones with scripts/services.sh unless KAFKA_BROKERS /
 * SCHEMA_REGISTRY_URL point elsewhere, under a lease of this run (see services-lease.ts).
 */
import { leaseServices } from './services-lease';

export default function globalSetup(): void {
  leaseServices(['kafka', 'registry']);
}
