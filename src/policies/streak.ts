/**
 * Consecutive-window counting per target. A window counts toward a streak only if it
 * follows the previous one without a gap (its start is at or before the previous end);
 * a target that was silent for a window starts over — "N consecutive windows" means N
 * windows of evidence, not N windows spread over an afternoon.
 */
export interface Streak {
  /** End of the last window counted. */
  lastWindowEnd: number;
  /** Consecutive windows over the high condition. */
  over: number;
  /** Consecutive windows under the low condition. */
  calm: number;
}

/** The streak after one more window; an old or repeated window (end <= last end) changes nothing. */
export function nextStreak(
  prev: Streak | undefined,
  windowStart: number,
  windowEnd: number,
  over: boolean,
  calm: boolean,
): Streak {
  if (prev !== undefined && windowEnd <= prev.lastWindowEnd) return prev;
  const contiguous = prev !== undefined && windowStart <= prev.lastWindowEnd;
  return {
    lastWindowEnd: windowEnd,
    over: over ? (contiguous ? prev.over : 0) + 1 : 0,
    calm: calm ? (contiguous ? prev.calm : 0) + 1 : 0,
  };
}

/** The span of a group of signals: [min start, max end]. */
export function windowOf(signals: readonly { windowStart: number; windowEnd: number }[]): {
  windowStart: number;
  windowEnd: number;
} {
  let windowStart = Infinity;
  let windowEnd = -Infinity;
  for (const s of signals) {
    if (s.windowStart < windowStart) windowStart = s.windowStart;
    if (s.windowEnd > windowEnd) windowEnd = s.windowEnd;
  }
  return { windowStart, windowEnd };
}

/** EWMA step: the first sample seeds it. */
export function ewmaStep(prev: number | null, x: number, alpha: number): number {
  return prev === null ? x : alpha * x + (1 - alpha) * prev;
}
