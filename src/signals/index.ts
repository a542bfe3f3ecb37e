/** Public surface of the load-signal building blocks. */
export { DDSketch, createSketch, nearestRank, DEFAULT_SKETCH_PARAMS } from './ddsketch';
export type { SketchParams } from './ddsketch';
export { encodeSketch, decodeSketch, sketchToBase64, sketchFromBase64 } from './sketch-codec';
export {
  DEFAULT_EWMA_ALPHA,
  DEFAULT_TREND_WINDOWS,
  createHistory,
  ewmaStep,
  leastSquaresSlope,
  recordMean,
} from './history';
export type { SeriesHistory } from './history';
export { buildSignal, SIGNAL_QUANTILES } from './window-signal';
export type { SignalIdentity, SignalExtras } from './window-signal';
export {
  stepBaseline,
  emptyBaseline,
  baselineReady,
  trailingQuantile,
  robustSpread,
  MAX_BASELINE_WINDOWS,
} from './baseline';
export type { BaselineSpec, BaselineState } from './baseline';
export { resolveThreshold, describeThreshold, isRelative } from './trigger';
export type { Threshold, RatioThreshold, DeviationThreshold } from './trigger';
export { judgeLevels, describeTrigger, isLevelled, triggerThresholds } from './levels';
export type { Trigger, TriggerLevel, LevelledTrigger, LevelRun, LevelVerdict } from './levels';
export { stepBurn, burnRate, judgeBurn, shareOver, emptyBurn } from './burn-rate';
export type { BurnPair, BurnSpec, BurnState, BurnVerdict } from './burn-rate';
