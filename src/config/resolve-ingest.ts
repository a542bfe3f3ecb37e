/** The ingest decoder a config asks for: none for homeostat's own telemetry (the fastest path). */
import type { SchemaLookup } from '../codec';
import { createIngestDecoder, type IngestDecoder } from '../ingest';
import type { HomeostatConfig } from './homeostat-config';

export function ingestDecoderFor(
  config: Pick<HomeostatConfig, 'ingest' | 'limits'>,
  resolver?: SchemaLookup,
): IngestDecoder | undefined {
  if (config.ingest.format === 'homeostat') return undefined;
  return createIngestDecoder({
    format: config.ingest.format,
    maxSamplesPerRecord: config.ingest.maxSamplesPerRecord,
    limits: config.limits,
    resolver,
  });
}
