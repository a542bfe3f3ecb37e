/**
 * The parameters of the tests' quick-acting policies: an adaptive timeout that acts after one
 * window of a deep queue and relaxes after one calm window, and herd control that acts on one
 * window of a retry storm — so that a short fleet issues commands.
 */
export const QUICK_TIMEOUT = {
  defaultTimeoutMs: 8000,
  high: { queueDepth: 50 },
  low: { queueDepth: 10 },
  overloadWindows: 1,
  calmWindows: 1,
};

export const QUICK_HERD = { baseline: { minWindows: 1 }, stormWindows: 1, storm: { retryShare: 0.2 } };
