/**
 * Replay inputs from files: each file is one synthetic partition (its index in the list), read
 * in batches (file-batches.ts) and merged by event time (merge.ts).
 */
import { fileBatches } from './file-batches';
import type { TelemetryLimits } from '../codec';
import type { ImportOptions } from '../import';
import { mergeBatchesByEventTime } from './merge';
import type { ReplayInput } from './replay';

export interface FilesProgress {
  bytesRead: number;
  totalBytes: number;
}

/** Every file as one partition (0, 1, ... in the order given), merged by event time, in batches. */
export function fileSources(
  files: readonly string[],
  options: {
    import?: ImportOptions;
    limits?: TelemetryLimits;
    onProgress?: (p: FilesProgress) => void;
    fastPath?: boolean;
  } = {},
): AsyncIterable<ReplayInput[]> {
  const read = files.map(() => 0);
  const total = files.map(() => 0);
  const sources = files.map((f, i) =>
    fileBatches(f, i, {
      import: options.import,
      limits: options.limits,
      fastPath: options.fastPath,
      onProgress: (bytesRead, totalBytes) => {
        read[i] = bytesRead;
        total[i] = totalBytes;
        options.onProgress?.({
          bytesRead: read.reduce((a, b) => a + b, 0),
          totalBytes: total.reduce((a, b) => a + b, 0),
        });
      },
    }),
  );
  return mergeBatchesByEventTime(sources);
}
