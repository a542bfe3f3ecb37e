/**
 * Engine configuration: the plain interface, its defaults, and the cross-field checks the
 * engine itself relies on (src/ops/config.ts wraps a schema around this; the engine checks
 * again at construction so that a bad value fails fast with a message naming the fix).
 */
import { ConfigError } from '../errors';
import { DEFAULT_EWMA_ALPHA, DEFAULT_TREND_WINDOWS } from '../signals/history';
import { DEFAULT_SKETCH_PARAMS } from '../signals/ddsketch';

export interface WindowConfig {
  /** Window length in ms of event time. Default 10 000. */
  sizeMs: number;
  /**
   * Distance between window starts, ms. Equal to sizeMs for tumbling windows (the default
   * when omitted); smaller for hopping windows, and then sizeMs must be a multiple of it.
   */
  advanceMs: number;
  /** How long after the watermark passes a window's end it stays open for stragglers, ms. Default 1 000. */
  graceMs: number;
}

export interface ScopeConfig {
  /** Scope name, used as `WindowSignal.scope` and key prefix (not `series`, no `|`). */
  name: string;
  /** Metrics aggregated by this scope. */
  metrics: readonly string[];
  /** Tags that group the scope (a subset of `dimensionTags`); [] = one group for everything. */
  groupBy: readonly string[];
}

export interface SketchConfig {
  /** Relative accuracy of quantiles. Default 0.0099 (≤ 1% end to end). */
  relativeAccuracy: number;
  /** Bins per sketch store before the lowest collapse. Default 2048. */
  maxBins: number;
}

export interface EngineConfig {
  window: WindowConfig;
  /** The watermark trails the highest event time of a partition by this much, ms. Default 2 000. */
  allowedOutOfOrdernessMs: number;
  /**
   * A partition is idle, and left out of the watermark, once the highest event time seen
   * on any owned partition is more than this far ahead of the highest event time seen on
   * it (event time, so that replay decides exactly as the live run did). Default 30 000
   * (three default windows); Infinity never marks a partition idle.
   */
  idleAfterMs: number;
  /**
   * Cap on live series. At the cap a new series first evicts the dormant series (no open
   * window) whose latest event time is oldest; if every series has an open window, the
   * record is rejected (`series_limit`) rather than corrupting a window. Default 100 000.
   */
  maxSeries: number;
  /** Record tags that identify a series, besides source and metric. Default ['tenant', 'service']. */
  dimensionTags: readonly string[];
  /** EWMA weight of the newest window mean, (0, 1]. Default 0.3 (NIST e-Handbook 6.3.2.4). */
  ewmaAlpha: number;
  /** Window means in the least-squares trend, ≥ 2. Default 6. */
  trendWindows: number;
  /**
   * After a window with data, a series (and a scope group) emits a zero-count signal for
   * each of up to this many following windows without data, so that a counter that stops
   * reporting shows a zero rate rather than silence. 0 disables. Default 3.
   */
  zeroFillWindows: number;
  /** Two-stage aggregates (stage one here, stage two in createScopeMerger). */
  scopes: readonly ScopeConfig[];
  sketch: SketchConfig;
}

/** Everything optional; `window.advanceMs` defaults to `window.sizeMs` (tumbling). */
export interface EngineConfigInput {
  window?: Partial<WindowConfig>;
  allowedOutOfOrdernessMs?: number;
  idleAfterMs?: number;
  maxSeries?: number;
  dimensionTags?: readonly string[];
  ewmaAlpha?: number;
  trendWindows?: number;
  zeroFillWindows?: number;
  scopes?: readonly ScopeConfig[];
  sketch?: Partial<SketchConfig>;
}

/** Default scopes: the multitenant-cluster aggregates and a per-service view for herd control. */
export const DEFAULT_SCOPES: readonly ScopeConfig[] = Object.freeze([
  { name: 'tenant', metrics: ['tenant.bytes_in', 'tenant.requests'], groupBy: ['tenant'] },
  { name: 'cluster', metrics: ['tenant.bytes_in', 'tenant.requests'], groupBy: [] },
  { name: 'service', metrics: ['requests', 'retries', 'errors'], groupBy: ['service'] },
]);

export const DEFAULT_ENGINE_CONFIG: EngineConfig = Object.freeze({
  window: Object.freeze({ sizeMs: 10_000, advanceMs: 10_000, graceMs: 1_000 }),
  allowedOutOfOrdernessMs: 2_000,
  idleAfterMs: 30_000,
  maxSeries: 100_000,
  dimensionTags: Object.freeze(['tenant', 'service']),
  ewmaAlpha: DEFAULT_EWMA_ALPHA,
  trendWindows: DEFAULT_TREND_WINDOWS,
  zeroFillWindows: 3,
  scopes: DEFAULT_SCOPES,
  sketch: Object.freeze({ ...DEFAULT_SKETCH_PARAMS }),
});

/** Fills defaults (does not validate; see engineConfigIssues). */
export function resolveEngineConfig(input: EngineConfigInput = {}): EngineConfig {
  const d = DEFAULT_ENGINE_CONFIG;
  const sizeMs = input.window?.sizeMs ?? d.window.sizeMs;
  const advanceMs = input.window?.advanceMs ?? (input.window?.sizeMs !== undefined ? sizeMs : d.window.advanceMs);
  return {
    window: { sizeMs, advanceMs, graceMs: input.window?.graceMs ?? d.window.graceMs },
    allowedOutOfOrdernessMs: input.allowedOutOfOrdernessMs ?? d.allowedOutOfOrdernessMs,
    idleAfterMs: input.idleAfterMs ?? d.idleAfterMs,
    maxSeries: input.maxSeries ?? d.maxSeries,
    dimensionTags: input.dimensionTags ?? d.dimensionTags,
    ewmaAlpha: input.ewmaAlpha ?? d.ewmaAlpha,
    trendWindows: input.trendWindows ?? d.trendWindows,
    zeroFillWindows: input.zeroFillWindows ?? d.zeroFillWindows,
    scopes: input.scopes ?? d.scopes,
    sketch: {
      relativeAccuracy: input.sketch?.relativeAccuracy ?? d.sketch.relativeAccuracy,
      maxBins: input.sketch?.maxBins ?? d.sketch.maxBins,
    },
  };
}

const isPosInt = (v: number): boolean => Number.isInteger(v) && v > 0;
const isNonNegInt = (v: number): boolean => Number.isInteger(v) && v >= 0;

/** Every problem with the config, each naming key, value and fix; [] when valid. */
export function engineConfigIssues(c: EngineConfig): string[] {
  const issues: string[] = [];
  const w = c.window;
  if (!isPosInt(w.sizeMs)) issues.push(`window.sizeMs must be a positive integer number of ms (got ${w.sizeMs})`);
  if (!isPosInt(w.advanceMs) || w.advanceMs > w.sizeMs) {
    issues.push(
      `window.advanceMs must be a positive integer ≤ window.sizeMs (got ${w.advanceMs}); omit it for tumbling windows`,
    );
  } else if (isPosInt(w.sizeMs) && w.sizeMs % w.advanceMs !== 0) {
    issues.push(
      `window.sizeMs (${w.sizeMs}) must be a multiple of window.advanceMs (${w.advanceMs}), since each record is aggregated ` +
        `once into a pane of advanceMs; pick an advanceMs that divides sizeMs`,
    );
  }
  if (!isNonNegInt(w.graceMs)) issues.push(`window.graceMs must be an integer ≥ 0 (got ${w.graceMs})`);
  if (!isNonNegInt(c.allowedOutOfOrdernessMs)) {
    issues.push(`allowedOutOfOrdernessMs must be an integer ≥ 0 (got ${c.allowedOutOfOrdernessMs})`);
  }
  if (!(c.idleAfterMs > 0))
    issues.push(`idleAfterMs must be > 0 ms of event time, or Infinity to never idle (got ${c.idleAfterMs})`);
  if (!isPosInt(c.maxSeries)) issues.push(`maxSeries must be a positive integer (got ${c.maxSeries})`);
  if (new Set(c.dimensionTags).size !== c.dimensionTags.length) {
    issues.push(`dimensionTags must not repeat a tag (got ${JSON.stringify(c.dimensionTags)})`);
  }
  if (!(c.ewmaAlpha > 0 && c.ewmaAlpha <= 1))
    issues.push(`ewmaAlpha must be in (0, 1] (got ${c.ewmaAlpha}); 0.3 is the default`);
  if (!(Number.isInteger(c.trendWindows) && c.trendWindows >= 2)) {
    issues.push(`trendWindows must be an integer ≥ 2 (got ${c.trendWindows})`);
  }
  if (!isNonNegInt(c.zeroFillWindows)) issues.push(`zeroFillWindows must be an integer ≥ 0 (got ${c.zeroFillWindows})`);
  const a = c.sketch.relativeAccuracy;
  if (!(a > 0 && a < 1)) issues.push(`sketch.relativeAccuracy must be in (0, 1) (got ${a}); 0.0099 gives ≤ 1% error`);
  if (!(Number.isInteger(c.sketch.maxBins) && c.sketch.maxBins >= 16)) {
    issues.push(`sketch.maxBins must be an integer ≥ 16 (got ${c.sketch.maxBins})`);
  }
  const names = new Set<string>();
  c.scopes.forEach((s, i) => {
    const at = `scopes[${i}]`;
    if (s.name === '' || s.name === 'series' || s.name.includes('|')) {
      issues.push(`${at}.name must be non-empty, not "series" and without "|" (got ${JSON.stringify(s.name)})`);
    }
    if (names.has(s.name)) issues.push(`${at}.name "${s.name}" is used by another scope; scope names must be unique`);
    names.add(s.name);
    if (s.metrics.length === 0) issues.push(`${at}.metrics must list at least one metric`);
    for (const t of s.groupBy) {
      if (!c.dimensionTags.includes(t)) {
        issues.push(
          `${at}.groupBy tag "${t}" is not in dimensionTags ${JSON.stringify(c.dimensionTags)}: a series would mix groups; add ` +
            `it to dimensionTags`,
        );
      }
    }
  });
  return issues;
}

/** Throws ConfigError listing every issue. */
export function assertEngineConfig(c: EngineConfig): void {
  const issues = engineConfigIssues(c);
  if (issues.length > 0) throw new ConfigError(issues);
}
