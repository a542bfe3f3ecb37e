/**
 * Signed `query_timeout.set` commands for executor tests: each call takes the next window, so
 * every command has its own id unless a test copies one on purpose.
 */
import { buildCommand, completeParams } from '../../src/actions';
import type { SigningKey } from '../../src/actions/signing';
import type { Command, CommandParams } from '../../src/model/command';

export interface TestCommandOptions {
  signing: SigningKey;
  policy: string;
  /** Window length: window n spans [n × windowMs, (n + 1) × windowMs). */
  windowMs: number;
  leaseMs: number;
  target?: string;
  mode?: Command['mode'];
  issuedAt?: number;
  params?: Partial<CommandParams>;
}

let windowNo = 0;

export function testCommand(o: TestCommandOptions): Command {
  windowNo++;
  return buildCommand(
    {
      policy: o.policy,
      policyVersion: 'v1',
      target: o.target ?? 'worker-1',
      type: 'query_timeout.set',
      params: completeParams(o.params ?? { timeoutMs: 800 }),
      mode: o.mode ?? 'enforce',
      reason: 'queue over the high watermark',
      evidence: [{ signal: 'queue.depth:mean', value: 80, threshold: 50, comparison: '>' }],
      windowStart: windowNo * o.windowMs,
      windowEnd: windowNo * o.windowMs + o.windowMs,
      issuedAt: o.issuedAt ?? Date.now(),
      leaseMs: o.leaseMs,
    },
    o.signing,
  );
}
