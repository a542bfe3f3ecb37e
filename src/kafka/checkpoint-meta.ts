/**
 * The checkpoint that rides in the committed offset's metadata (OffsetCommit / TxnOffsetCommit
 * carry a free-form string per partition, committed atomically with the offset). It tells a
 * restarted processor which re-read records it had already handled and which windows it had
 * already emitted, so that a restart neither loses nor repeats an output.
 */
export interface CheckpointMeta {
  /** Format version. */
  v: 1;
  /** First offset not handled before the commit: records below it only rebuild window state. */
  next: string;
  /** The engine watermark at commit: windows that closed at or before it were emitted. */
  wm: number;
  /**
   * Stage two only: the id of the transaction, also written into the checkpoint on the state
   * topic, so a reset knows whether the state it read is the one this offset was committed with.
   */
  tx?: string;
  /**
   * Stage one scaled out: the id of the last transaction that wrote this partition's series
   * histories (with a record naming it on the state topic, history-checkpoint.ts), so a new
   * owner knows whether the histories it read are those of this commit. Absent in checkpoints of
   * earlier versions and of partitions that have written none: their restore takes what it reads.
   */
  h?: string;
}

const TX_ID = /^[0-9a-f]{1,32}$/;

export function encodeCheckpoint(meta: Omit<CheckpointMeta, 'v'>): string {
  // -Infinity is not JSON: before the first close there is no watermark to restore.
  const wm = Number.isFinite(meta.wm) ? meta.wm : null;
  // Version 1 still: readers of earlier versions ignore a field they do not know.
  const out: { v: 1; next: string; wm: number | null; tx?: string; h?: string } = { v: 1, next: meta.next, wm };
  if (meta.tx !== undefined) out.tx = meta.tx;
  if (meta.h !== undefined) out.h = meta.h;
  return JSON.stringify(out);
}

/** Parses metadata written by encodeCheckpoint; anything else (another tool's commit) is ignored. */
export function decodeCheckpoint(metadata: string | null | undefined): CheckpointMeta | undefined {
  if (!metadata) return undefined;
  try {
    const m = JSON.parse(metadata) as { v?: unknown; next?: unknown; wm?: unknown; tx?: unknown; h?: unknown };
    if (m.v !== 1 || typeof m.next !== 'string' || !/^\d+$/.test(m.next)) return undefined;
    const meta: CheckpointMeta = { v: 1, next: m.next, wm: typeof m.wm === 'number' ? m.wm : -Infinity };
    if (typeof m.tx === 'string' && TX_ID.test(m.tx)) meta.tx = m.tx;
    if (typeof m.h === 'string' && TX_ID.test(m.h)) meta.h = m.h;
    return meta;
  } catch {
    return undefined;
  }
}
