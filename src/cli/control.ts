import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo, hostname } from 'node:os';
import type { Command } from 'commander';
import { createRecordCodec } from '../codec';
import { HomeostatError } from '../errors';
import type { ControlRecord } from '../guardrails/control';
import { signControl } from '../guardrails/control-signature';
import { generateEd25519, parseEd25519PrivateKey } from '../actions/ed25519';
import { CONTROL_KEY_ENV, CONTROL_KEY_ID_ENV } from '../config/control-schema';
import { createKafka, explainKafkaError, producerConfig } from '../kafka/client';
import { controlKey } from '../kafka/control-reader';
import { ensureTopics, topicSpecs } from '../kafka/topics';
import type { Mode } from '../model/command';
import { loadConfig } from '../config/homeostat-config';
import { addConnectionOptions, type ConnectionOptions } from './options';

interface ControlOptions extends ConnectionOptions {
  reason?: string;
  by?: string;
  keyFile?: string;
  keyId?: string;
}

const MODES: readonly Mode[] = ['shadow', 'canary', 'enforce'];

/** `homeostat control …`: operator records on the compacted control topic, applied by every processor within a second. */
export function registerControlCommand(program: Command): void {
  const control = program
    .command('control')
    .description('pause, resume, set the mode of, exclude targets from, or kill the remediation');
  const add = (
    name: string,
    args: string,
    description: string,
    build: (a: string[]) => Omit<ControlRecord, 'issuedBy' | 'issuedAt' | 'reason'>,
  ): void => {
    addConnectionOptions(control.command(`${name} ${args}`.trim()).description(description))
      .option('--reason <text>', 'why (recorded with the record and in the decisions it causes)')
      .option('--by <name>', 'who issues it (default: user@host)')
      .option(
        '--key-file <path>',
        `the operator's Ed25519 private key that signs the record (else env ${CONTROL_KEY_ENV})`,
      )
      .option(
        '--key-id <id>',
        `its id, as in the processors' control.keys (else env ${CONTROL_KEY_ID_ENV}, else 'default')`,
      )
      .action(async (...argv: unknown[]) => {
        const opts = argv[argv.length - 2] as ControlOptions;
        const positional = argv.slice(0, -2).filter((x): x is string => typeof x === 'string');
        const signer = operatorKey(opts);
        const record = signControl(
          {
            ...build(positional),
            issuedBy: opts.by ?? `${userInfo().username}@${hostname()}`,
            issuedAt: Date.now(),
            reason: opts.reason ?? '',
          },
          signer.keyId,
          signer.key,
        );
        await writeControl(opts, record);
        process.stdout.write(
          `${record.kind} ${record.policy ?? '(all policies)'}` +
            `${record.target ? ` target ${record.target}` : ''}${record.mode ? ` → ${record.mode}` : ''}: written\n`,
        );
      });
  };
  const policyArg = (p: string | undefined): string | null => (p === undefined || p === 'all' || p === '*' ? null : p);
  add('pause', '[policy]', 'stop a policy (or all) issuing anything; its leases lapse and executors revert', (a) => ({
    kind: 'pause',
    policy: policyArg(a[0]),
    target: null,
    mode: null,
  }));
  add('resume', '[policy]', 'undo pause', (a) => ({
    kind: 'resume',
    policy: policyArg(a[0]),
    target: null,
    mode: null,
  }));
  add('mode', '<policy> <mode>', 'set a policy (or all) to shadow, canary or enforce', (a) => {
    const mode = a[1] as Mode;
    if (!MODES.includes(mode))
      throw new HomeostatError('USAGE', `mode must be one of ${MODES.join(', ')}, got '${a[1]}'`);
    return { kind: 'mode', policy: policyArg(a[0]), target: null, mode };
  });
  add('exclude', '<policy> <target>', 'never act on a target (policy "all" for every policy)', (a) => ({
    kind: 'exclude',
    policy: policyArg(a[0]),
    target: a[1],
    mode: null,
  }));
  add('include', '<policy> <target>', 'undo exclude', (a) => ({
    kind: 'include',
    policy: policyArg(a[0]),
    target: a[1],
    mode: null,
  }));
  add('kill', '', 'global kill switch: stop issuing anything, everywhere', () => ({
    kind: 'kill',
    policy: null,
    target: null,
    mode: null,
  }));
  add('unkill', '', 'release the kill switch (only keys allowed unkill in control.keys)', () => ({
    kind: 'unkill',
    policy: null,
    target: null,
    mode: null,
  }));
  control
    .command('keygen')
    .description(
      'create an operator key pair: the private key to a file only you can read, the public key to give the processors (control.keys)',
    )
    .requiredOption('--out <file>', 'where to write the private key (created with mode 0600; never overwritten)')
    .option('--key-id <id>', 'the id the processors will know it by', 'default')
    .action((opts: { out: string; keyId: string }) => {
      const pair = generateEd25519();
      const pub = `${opts.out}.pub`;
      // Both files are created, never overwritten: a key pair is replaced on purpose, not by a typo.
      for (const f of [opts.out, pub]) {
        if (existsSync(f))
          throw new HomeostatError(
            'USAGE',
            `${f} exists; keygen never overwrites a key: give a new file name with --out`,
          );
      }
      createOnce(opts.out, `${pair.privateKey}\n`, 0o600);
      createOnce(pub, `${pair.publicKey}\n`, 0o644);
      process.stdout.write(
        `private key written to ${opts.out} (keep it off the processors' hosts), public key to ${pub}\n` +
          "add to every processor's config (or give the public key inline as publicKey):\n\n" +
          `control:\n  keys:\n    - id: ${opts.keyId}\n      publicKeyFile: ${pub}   # publicKey: '${pair.publicKey}'\n` +
          '      # allow: [pause, resume, mode, exclude, include, kill, unkill]   # default: all but unkill\n\n' +
          `then sign with: homeostat control <kind> --key-file ${opts.out} --key-id ${opts.keyId}\n`,
      );
    });
}

function createOnce(file: string, text: string, mode: number): void {
  try {
    writeFileSync(file, text, { mode, flag: 'wx' });
  } catch (err) {
    throw new HomeostatError(
      'USAGE',
      `cannot create ${file} (${(err as Error).message}); give a new file name with --out`,
    );
  }
}

/** The operator's signing key: --key-file, else the env var; a record cannot be written unsigned. */
function operatorKey(opts: ControlOptions): { keyId: string; key: ReturnType<typeof parseEd25519PrivateKey> } {
  const keyId = opts.keyId ?? process.env[CONTROL_KEY_ID_ENV] ?? 'default';
  let text = process.env[CONTROL_KEY_ENV];
  if (opts.keyFile !== undefined) {
    try {
      text = readFileSync(opts.keyFile, 'utf8');
    } catch (err) {
      throw new HomeostatError('USAGE', `cannot read --key-file ${opts.keyFile} (${(err as Error).message})`);
    }
  }
  if (text === undefined || text.trim() === '') {
    throw new HomeostatError(
      'USAGE',
      `control records are signed: give --key-file <operator private key> or set ${CONTROL_KEY_ENV}; create a key with ` +
        `'homeostat control keygen --out <file>'`,
    );
  }
  return { keyId, key: parseEd25519PrivateKey(text, opts.keyFile ?? CONTROL_KEY_ENV) };
}

async function writeControl(
  opts: ControlOptions,
  record: ControlRecord & { keyId: string; signature: string },
): Promise<void> {
  const config = loadConfig({ file: opts.config, brokers: opts.brokers, registry: opts.registry });
  const kafka = createKafka(config.kafka);
  const admin = kafka.admin();
  const producer = kafka.producer(producerConfig({ idempotent: true, maxInFlightRequests: 1 }));
  try {
    await admin.connect();
    await ensureTopics(
      admin,
      topicSpecs(config.topics).filter((t) => t.topic === config.topics.control),
    );
    await producer.connect();
    // JSON on the control topic: operators read it with any tool, and it is tiny.
    await producer.send({
      topic: config.topics.control,
      messages: [{ key: controlKey(record), value: createRecordCodec('control').encodeJson(record) }],
    });
  } catch (err) {
    throw explainKafkaError(err, config.kafka.brokers);
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
}
