/** Signed commands for the executor fault tests (the processor's key, KEY / KEY_ID). */
import type { Message } from 'kafkajs';
import { buildCommand, completeParams } from '../../../src/actions';
import { createRecordCodec } from '../../../src/codec';
import type { Command, CommandParams } from '../../../src/model/command';
import { KEY, KEY_ID } from './cli';

let windowNo = 0;

export function signedCommand(o: { target?: string; issuedAt?: number; leaseMs?: number; params?: Partial<CommandParams>; key?: { keyId: string; key: Buffer } } = {}): Command {
  windowNo++;
  return buildCommand(
    {
      policy: 'timeouts',
      policyVersion: 'v1',
      target: o.target ?? 'worker-1',
      type: 'query_timeout.set',
      params: completeParams(o.params ?? { timeoutMs: 800 }),
      mode: 'enforce',
      reason: 'queue over the high watermark',
      evidence: [{ signal: 'queue.depth:mean', value: 80, threshold: 50, comparison: '>' }],
      windowStart: windowNo * 1000,
      windowEnd: windowNo * 1000 + 1000,
      issuedAt: o.issuedAt ?? Date.now(),
      leaseMs: o.leaseMs ?? 120_000,
    },
    o.key ?? { keyId: KEY_ID, key: KEY },
  );
}

const codec = createRecordCodec('command');

export function commandMessage(c: Command): Message {
  return { key: c.target, value: codec.encodeJson(c) };
}
