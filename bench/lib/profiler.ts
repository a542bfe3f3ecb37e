/**
 * In-process CPU profiling of one phase of a bench (node:inspector), so that a profile
 * holds the phase and not the set-up around it (producing, module loading, services).
 * Open the written .cpuprofile in Chrome DevTools, or summarise it with
 * `npx tsx bench/lib/cpuprofile.ts <file>`. Run on compiled JavaScript for exact lines:
 * under tsx the positions are those of its transpiled output.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

export interface PhaseProfiler {
  /** Stops profiling and writes the profile to the file given at start. */
  stop(): Promise<string>;
}

/** One inspector call as a promise (the heap sampler uses it too). */
export function post<T>(session: Session, method: string, params?: Record<string, unknown>): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T)));
  });
}

export async function startProfiler(file: string, samplingIntervalUs = 200): Promise<PhaseProfiler> {
  const session = new Session();
  session.connect();
  await post(session, 'Profiler.enable');
  await post(session, 'Profiler.setSamplingInterval', { interval: samplingIntervalUs });
  await post(session, 'Profiler.start');
  return {
    async stop() {
      const { profile } = await post<{ profile: unknown }>(session, 'Profiler.stop');
      session.disconnect();
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
  };
}
