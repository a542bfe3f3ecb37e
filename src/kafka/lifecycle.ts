/**
 * One lifecycle for every long-lived Kafka driver (the processor's, stage two's, the
 * executor's): the states they pass through and the transitions allowed between them. A
 * transition not in the table is a programming error and throws, so a driver can never, say,
 * report RUNNING again after it was stopped.
 *
 *   INITIALIZED → STARTING → RUNNING → DRAINING → STOPPED
 *   STARTING / RUNNING / DRAINING → FAILED (it cannot go on) → DRAINING (stop() cleans up)
 *   any state but STOPPED → KILLED (abandon everything at once; the executor's kill())
 */
import { HomeostatError } from '../errors';
import type { Logger } from '../ops/logger';

export type LifecycleState = 'INITIALIZED' | 'STARTING' | 'RUNNING' | 'DRAINING' | 'STOPPED' | 'FAILED' | 'KILLED';

const ALLOWED: Readonly<Record<LifecycleState, readonly LifecycleState[]>> = {
  INITIALIZED: ['STARTING', 'STOPPED', 'KILLED'],
  STARTING: ['RUNNING', 'DRAINING', 'FAILED', 'KILLED'],
  RUNNING: ['DRAINING', 'FAILED', 'KILLED'],
  DRAINING: ['STOPPED', 'FAILED', 'KILLED'],
  FAILED: ['DRAINING', 'STOPPED', 'KILLED'],
  STOPPED: [],
  KILLED: [],
};

export interface Lifecycle {
  state(): LifecycleState;
  /** Whether the driver is in one of `states`. */
  is(...states: LifecycleState[]): boolean;
  /** Moves to `next`; throws INVALID_STATE when the table does not allow it. */
  to(next: LifecycleState): void;
  /** Whether `next` is allowed from the current state (for idempotent stop()/kill()). */
  can(next: LifecycleState): boolean;
}

/** A lifecycle in INITIALIZED; transitions are logged at info as `<what> <state>`. */
export function createLifecycle(what: string, logger?: Logger): Lifecycle {
  let current: LifecycleState = 'INITIALIZED';
  const can = (next: LifecycleState): boolean => ALLOWED[current].includes(next);
  return {
    state: () => current,
    is: (...states) => states.includes(current),
    can,
    to(next) {
      if (!can(next)) {
        throw new HomeostatError('INVALID_STATE', `${what}: ${current} → ${next} is not allowed; create a new ${what}`);
      }
      logger?.info({ from: current, to: next }, `${what} ${next.toLowerCase()}`);
      current = next;
    },
  };
}
