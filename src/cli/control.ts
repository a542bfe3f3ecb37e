import { userInfo, hostname } from 'node:os';
import type { Command } from 'commander';
import { createRecordCodec } from '../codec';
import { HomeostatError } from '../errors';
import type { ControlRecord } from '../guardrails/control';
import { createKafka, explainKafkaError, producerConfig } from '../kafka/client';
import { controlKey } from '../kafka/control-reader';
import { ensureTopics, topicSpecs } from '../kafka/topics';
import type { Mode } from '../model/command';
import { loadConfig } from '../ops/config';
import { addConnectionOptions, type ConnectionOptions } from './options';

interface ControlOptions extends ConnectionOptions {
  reason?: string;
  by?: string;
}

const MODES: readonly Mode[] = ['shadow', 'canary', 'enforce'];

/** `homeostat control …`: operator records on the compacted control topic, applied by every processor within a second. */
export function registerControlCommand(program: Command): void {
  const control = program.command('control').description('pause, resume, set the mode of, exclude targets from, or kill the remediation');
  const add = (name: string, args: string, description: string, build: (a: string[]) => Omit<ControlRecord, 'issuedBy' | 'issuedAt' | 'reason'>): void => {
    addConnectionOptions(control.command(`${name} ${args}`.trim()).description(description))
      .option('--reason <text>', 'why (recorded with the record and in the decisions it causes)')
      .option('--by <name>', 'who issues it (default: user@host)')
      .action(async (...argv: unknown[]) => {
        const opts = argv[argv.length - 2] as ControlOptions;
        const positional = argv.slice(0, -2).filter((x): x is string => typeof x === 'string');
        const record: ControlRecord = {
          ...build(positional),
          issuedBy: opts.by ?? `${userInfo().username}@${hostname()}`,
          issuedAt: Date.now(),
          reason: opts.reason ?? '',
        };
        await writeControl(opts, record);
        process.stdout.write(`${record.kind} ${record.policy ?? '(all policies)'}${record.target ? ` target ${record.target}` : ''}${record.mode ? ` → ${record.mode}` : ''}: written\n`);
      });
  };
  const policyArg = (p: string | undefined): string | null => (p === undefined || p === 'all' || p === '*' ? null : p);
  add('pause', '[policy]', 'stop a policy (or all) issuing anything; its leases lapse and executors revert', (a) => ({ kind: 'pause', policy: policyArg(a[0]), target: null, mode: null }));
  add('resume', '[policy]', 'undo pause', (a) => ({ kind: 'resume', policy: policyArg(a[0]), target: null, mode: null }));
  add('mode', '<policy> <mode>', 'set a policy (or all) to shadow, canary or enforce', (a) => {
    const mode = a[1] as Mode;
    if (!MODES.includes(mode)) throw new HomeostatError('USAGE', `mode must be one of ${MODES.join(', ')}, got '${a[1]}'`);
    return { kind: 'mode', policy: policyArg(a[0]), target: null, mode };
  });
  add('exclude', '<policy> <target>', 'never act on a target (policy "all" for every policy)', (a) => ({ kind: 'exclude', policy: policyArg(a[0]), target: a[1], mode: null }));
  add('include', '<policy> <target>', 'undo exclude', (a) => ({ kind: 'include', policy: policyArg(a[0]), target: a[1], mode: null }));
  add('kill', '', 'global kill switch: stop issuing anything, everywhere', () => ({ kind: 'kill', policy: null, target: null, mode: null }));
  add('unkill', '', 'release the kill switch', () => ({ kind: 'unkill', policy: null, target: null, mode: null }));
}

async function writeControl(opts: ControlOptions, record: ControlRecord): Promise<void> {
  const config = loadConfig({ file: opts.config, brokers: opts.brokers, registry: opts.registry });
  const kafka = createKafka(config.kafka);
  const admin = kafka.admin();
  const producer = kafka.producer(producerConfig({ idempotent: true, maxInFlightRequests: 1 }));
  try {
    await admin.connect();
    await ensureTopics(admin, topicSpecs(config.topics).filter((t) => t.topic === config.topics.control));
    await producer.connect();
    // JSON on the control topic: operators read it with any tool, and it is tiny.
    await producer.send({ topic: config.topics.control, messages: [{ key: controlKey(record), value: createRecordCodec('control').encodeJson(record) }] });
  } catch (err) {
    throw explainKafkaError(err, config.kafka.brokers);
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
}
