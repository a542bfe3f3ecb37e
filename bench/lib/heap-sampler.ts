/**
 * In-process allocation sampling of one phase of a bench (node:inspector's sampling heap
 * profiler), counting what was allocated during the phase — objects already collected
 * included, unlike `node --heap-prof`, whose profile keeps only what is still alive at exit —
 * so that a profile says where the garbage comes from. Summarise the written .heapprofile with
 * `npx tsx bench/lib/heapprofile.ts <file>`.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { post } from './profiler';

export interface PhaseHeapSampler {
  /** Stops sampling and writes the profile to the file given at start. */
  stop(): Promise<string>;
}

/** Samples about one allocation per `intervalBytes` bytes allocated (V8's default is 32 KiB). */
export async function startHeapSampler(file: string, intervalBytes = 16_384): Promise<PhaseHeapSampler> {
  const session = new Session();
  session.connect();
  await post(session, 'HeapProfiler.enable');
  await post(session, 'HeapProfiler.startSampling', {
    samplingInterval: intervalBytes,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return {
    async stop() {
      const { profile } = await post<{ profile: unknown }>(session, 'HeapProfiler.stopSampling');
      session.disconnect();
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
  };
}
