/** Signed commands for the executor fault tests (the processor's key, KEY / KEY_ID). */
import type { Message } from 'kafkajs';
import { createRecordCodec } from '../../../src/codec';
import type { Command, CommandParams } from '../../../src/model/command';
import { testCommand } from '../../helpers/commands';
import type { SigningKey } from '../../../src/actions';
import { SIGNING } from './cli';

export function signedCommand(
  o: { target?: string; issuedAt?: number; leaseMs?: number; params?: Partial<CommandParams>; key?: SigningKey } = {},
): Command {
  return testCommand({
    ...o,
    policy: 'timeouts',
    windowMs: 1000,
    leaseMs: o.leaseMs ?? 120_000,
    signing: o.key ?? SIGNING,
  });
}

const codec = createRecordCodec('command');

export function commandMessage(c: Command): Message {
  return { key: c.target, value: codec.encodeJson(c) };
}
