/**
 * When stage two commits. Most stage batches only buffer (a partition's mark arrives, no window
 * completes): their commit can wait — a restart re-reads them from the last commit — which
 * halves the group's transactions. What releases a window, or carries the policies' pending
 * output, is written at once; anything else waits at most IDLE_COMMIT_MS.
 */
import type { GatherOutputs } from '../pipeline/gather';
import type { BatchExtension } from './batch-extension';

/** A stage batch that released nothing is committed with the next that does, or after this long. */
export const IDLE_COMMIT_MS = 1_000;

/** Whether `out` (or the extension) holds something to write now. */
export function releasesSomething(out: GatherOutputs, extension: BatchExtension | undefined): boolean {
  return (
    out.published.length > 0 ||
    out.finals.length > 0 ||
    (out.windows?.length ?? 0) > 0 ||
    extension?.hasPending?.() === true
  );
}

/** A batch: commit what it released, or what it only buffered once the last commit is IDLE_COMMIT_MS old. */
export function commitBatchNow(
  out: GatherOutputs,
  extension: BatchExtension | undefined,
  committedAt: number,
  now: number,
): boolean {
  return releasesSomething(out, extension) || now - committedAt >= IDLE_COMMIT_MS;
}

/**
 * Between batches: commit what the tick released, or a position the last commit left behind
 * (deferred batches, markers stepped over) once the last commit is IDLE_COMMIT_MS old.
 */
export function commitTickNow(
  out: GatherOutputs,
  extension: BatchExtension | undefined,
  p: { position: bigint; committedPosition: bigint; committedAt: number; now: number },
): boolean {
  const deferred = p.position >= 0n && p.committedPosition !== p.position && p.now - p.committedAt >= IDLE_COMMIT_MS;
  return releasesSomething(out, extension) || deferred;
}
