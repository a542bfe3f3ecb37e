/** Small helpers the client benches share with the rest of bench/. */
export { randomName } from './kafka';
export { round } from './results';

/** Resolves true once `predicate` holds, false after `timeoutMs`; polls every `everyMs`. */
export async function waitUntil(predicate: () => boolean, timeoutMs: number, everyMs = 5): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return true;
}
