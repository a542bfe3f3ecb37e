/** The HTML report renderer: a pure function from the report model to one self-contained page. */
export type {
  Better,
  Chart,
  Marker,
  MarkerKind,
  Point,
  Report,
  ScoringSummary,
  Section,
  Series,
  SeriesStyle,
  Span,
  SpanKind,
  Table,
  TableCell,
  TableComparison,
  Threshold,
} from './model';
export { renderReport, type RenderOptions } from './render';
export { writeReport } from './write';
export { scoringTable } from './table';
export { niceTicks, niceNumber, logTicks, type Ticks } from './ticks';
export { timeTicks, formatTimestamp, type TimeTick } from './time-ticks';
export { m4 } from './downsample';
export { escapeHtml } from './escape';
export { formatDuration, formatNumber } from './format';
export { OKABE_ITO } from './palette';
