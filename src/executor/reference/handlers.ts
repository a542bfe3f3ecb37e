/** What a reference executor contributes to createExecutor, plus the resources it opens and closes. */
import type { CommandType } from '../../model/command';
import type { ApplyFn, RevertFn, ValidateFn } from '../types';

export interface ReferenceHandlers {
  types: CommandType[];
  apply: ApplyFn;
  revert: RevertFn;
  validate?: ValidateFn;
  /** Open connections before the first command (called before the executor starts). */
  start?(): Promise<void>;
  /** Close them (called after the executor stopped). */
  stop?(): Promise<void>;
}
