/**
 * One unit of work at a time. A driver's units — a batch, an idle-time flush, a reset, a lease
 * check — share a transactional producer (or a ledger) and must reach it in the order they were
 * asked for: each runs once the one before it has settled, whether that one succeeded or not.
 * A failure reaches the caller of its own unit only; the chain itself never rejects.
 */
export interface Serial {
  /** Runs `fn` after every unit queued before it has settled; resolves or rejects as `fn` does. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Resolves once every unit queued so far has settled (stop() waits for the one in flight). */
  settled(): Promise<void>;
}

export function createSerial(): Serial {
  let chain: Promise<unknown> = Promise.resolve();
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      const next = chain.then(fn, fn);
      chain = next.catch(() => undefined);
      return next;
    },
    settled: () => chain.then(() => undefined),
  };
}
