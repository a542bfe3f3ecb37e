/**
 * The pure windowing engine — public surface.
 *
 * `createEngine(config).step(state, input) → { state, outputs }`: no clock, no I/O; the
 * same inputs in the same order give the same outputs (state is updated in place).
 *
 * Rules in one place (details next to the code):
 * - Windows: epoch-aligned [k·advance, k·advance + size), tumbling when advance = size;
 *   size must be a multiple of advance (records are stored once per pane of `advance`).
 * - Watermark: per partition, max event time − allowedOutOfOrdernessMs; the engine's is the
 *   minimum over owned, non-idle partitions, never decreasing (watermark.ts).
 * - Idleness, in event time only: a partition is idle when two other owned partitions are
 *   more than idleAfterMs past the max seen on it, or the newest alone more than twice that
 *   (or, if it has sent nothing, past the event time at which it was assigned / the first one
 *   the engine saw): one partition running ahead cannot make the others idle.
 * - A window closes, and emits exactly once, when the watermark reaches end + grace.
 * - A record all of whose windows have closed is output as `late` (with partition/offset,
 *   for the DLQ); one that missed only some hopping windows counts in the open ones
 *   (`partiallyLate`). consumed = aggregated + late + rejected, always.
 * - maxSeries: at the cap, the dormant series (nothing in an open window) that went
 *   dormant first — oldest latest event time — is evicted (`evicted` output, history lost);
 *   if none is dormant, the new record is `rejected` with reason `series_limit`.
 * - zeroFillWindows: after a window with data, a series (and a scope group) emits
 *   zero-count signals for up to N windows without data; flush never zero-fills past the
 *   last window with data.
 * - Output order: by (windowEnd, key), key in code-unit order.
 * - Scopes: stage one emits partials (partial=true, partitions = owned, sketch) per window;
 *   createScopeMerger (stage two) merges them exactly into finals.
 * - `pendingOffset(partition)`: commit no further than this, so a restarted or re-assigned
 *   consumer re-reads every record whose window has not been emitted.
 */
export { createEngine } from './engine';
export type { Engine } from './engine';
export {
  DEFAULT_ENGINE_CONFIG,
  DEFAULT_SCOPES,
  resolveEngineConfig,
  engineConfigIssues,
  assertEngineConfig,
} from './config';
export type { EngineConfig, EngineConfigInput, WindowConfig, ScopeConfig, SketchConfig } from './config';
export type {
  EngineInput,
  EngineOutput,
  EngineCounters,
  WindowEngineState,
  StepResult,
  Offset,
  RejectReason,
} from './types';
export { createScopeMerger } from './scope-merger';
export type {
  ScopeMerger,
  ScopeMergerConfig,
  ScopeMergerConfigInput,
  MergerInput,
  MergerOutput,
  MergerCounters,
  MergerState,
  MergerRejectReason,
} from './scope-merger';
export { seriesKey, scopeKey, escapeKeyPart, compareKeys } from './series-key';
