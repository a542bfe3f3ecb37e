/** Public surface of the telemetry importer (see docs/import.md). */
export { importRecords, importAll } from './import-records';
export type { ImportInput, ImportResult } from './import-records';
export { createLineImportState, importLine } from './line-importer';
export type { LineImportState, LineImportStep } from './line-importer';
export { parseTimestamp, TIMESTAMP_SHAPES } from './timestamp';
export { splitCsvLine } from './csv-fields';
export {
  loadNabLabels,
  parseNabLabels,
  nabLabelKey,
  nabWindowsFor,
  labelWindowsFromPoints,
  stepLabelRuns,
  initialLabelRunState,
  shiftWindows,
} from './labels';
export type { NabLabels, LabelRunState } from './labels';
export { writeTelemetryJsonl, formatTelemetryLine } from './write-jsonl';
export type { WriteJsonlOptions, WriteJsonlResult } from './write-jsonl';
export { formatImportError } from './format';
export type {
  ImportMapping,
  ImportOptions,
  ImportFormat,
  ImportProgress,
  ImportEvent,
  ImportRecordEvent,
  ImportErrorEvent,
  CsvOptions,
  CsvColumn,
  LabelWindow,
  LabelPoint,
} from './types';
