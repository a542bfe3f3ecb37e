/**
 * Public surface of src/replay (see docs/replay.md): the replay core, its inputs (files, topic
 * ranges) and outputs (canonical JSONL), decision diffs, scoring against labelled incidents and
 * the replay report's model. The importer has its own surface in ./import (docs/import.md).
 */
export { createReplay, replayRecords, replayRecordsSync, replayStream, replayBatches } from './replay';
export type {
  Replay,
  ReplayArrival,
  ReplayCounters,
  ReplayFeed,
  ReplayInput,
  ReplayInvalid,
  ReplayOptions,
  ReplayRecord,
  ReplayResult,
  ReplaySink,
} from './replay';
export { replaySetupFromConfig, replaySigningKey } from './setup';
export type { ReplaySetup, ReplaySetupOptions } from './setup';
export { mergeByEventTime, mergeBatchesByEventTime } from './merge';
export { fileBatches } from './file-batches';
export type { FileBatchOptions } from './file-batches';
export { fileSources } from './sources';
export type { FilesProgress } from './sources';
export { createJsonlWriter, readJsonl } from './jsonl';
export type { JsonlWriter, JsonlLineError } from './jsonl';
export { readTopicRange, topicRangeOffsets } from './topic-read';
export type { PartitionRange, RawMessage, ReadTopicOptions, TopicRange, TopicReadResult } from './topic-read';
export { createTelemetryTopicWriter, decodeTopicRecords, topicReplayInputs } from './topic-io';
export type { TelemetryTopicWriter, TelemetryTopicWriterOptions } from './topic-io';
export { diffDecisions } from './diff';
export type { ChangeBasis, DecisionDiff, DiffCounts, DiffEntry, DiffInput } from './diff';
export { diffJson, formatDiff, textTable } from './diff-format';
export type { FormatDiffOptions } from './diff-format';
export { combineScores, scoreActions } from './score';
export type { IncidentWindow, Score, ScoreOptions, TimedAction, WindowScore } from './score';
export { actionsFromDecisions, classifyDecision } from './actions';
export type { ActionClass, ActionEvent, ActionFilter, DecisionLike } from './actions';
export { buildReplayReport } from './report-model';
export { GAP_LOOKBACK, signalGaps, zeroGaps } from './gaps';
export type { SeriesGaps } from './gaps';
export type { LabelledSeries, ReplayReport, ReplayReportInput, SeriesScore } from './report-model';
export { policyCharts } from './report-charts';
export type { PolicyChartInput, PolicyCharts } from './report-charts';
export { describeParams, leaseSpans, mainSetting, settingSteps } from './lease-spans';
export type { LeaseSpan, SettingStep } from './lease-spans';
export { findNabRoot, loadLabelledSeries, parseDataFileArg } from './labels-load';
export type { LabelFormat, LabelSourceOptions } from './labels-load';
export { createProgress, formatBytes, formatCount } from './progress';
export type { Progress, ProgressOptions, ProgressUpdate } from './progress';
