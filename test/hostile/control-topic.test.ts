/**
 * Finding 1 on the real broker: a hostile writer of the control topic. Forged, unsigned,
 * unreadable and stale records are refused and counted; only the operator's signed record
 * reaches the processor, and one flood of forgeries does not stop it.
 */
import { createRecordCodec } from '../../src/codec';
import { generateEd25519 } from '../../src/actions/ed25519';
import type { ControlRecord } from '../../src/codec/records';
import { signControl } from '../../src/guardrails/control-signature';
import { createConfiguredControlReader, controlKey } from '../../src/kafka/control-reader';
import { loadConfig } from '../../src/config/homeostat-config';
import { createLogger } from '../../src/ops/logger';
import { createMetrics } from '../../src/ops/metrics';
import { createTopic, produce, randomName, waitFor } from '../helpers/kafka';
import { brokers } from '../helpers/services';

const codec = createRecordCodec('control');
const base = (kind: ControlRecord['kind'], issuedAt: number): ControlRecord => ({
  kind,
  policy: null,
  target: null,
  mode: kind === 'mode' ? 'enforce' : null,
  issuedBy: 'someone',
  issuedAt,
  reason: '',
  keyId: null,
  signature: null,
});

test('only records signed by an operator key reach the processor; forgeries are counted', async () => {
  const topic = randomName('hostile-control');
  await createTopic(topic, 1);
  const operator = generateEd25519();
  const intruder = generateEd25519();
  const config = loadConfig({
    env: {},
    overrides: {
      kafka: { brokers: brokers() },
      topics: { control: topic },
      control: { keys: [{ id: 'ops', publicKey: operator.publicKey }] },
    },
  });
  const metrics = createMetrics();
  const applied: { kind: string; keyId?: string | null; issuedAt: number }[] = [];
  const T = Date.now();
  const forged: Buffer[] = [
    codec.encodeJson(base('mode', T + 1)), // unsigned: "every policy to enforce"
    codec.encodeJson(signControl(base('mode', T + 2), 'ops', intruder.privateKey)), // wrong key
    codec.encodeJson({ ...signControl(base('pause', T + 3), 'ops', operator.privateKey), kind: 'resume' }), // tampered
    Buffer.from('{"kind":"kill"'), // unreadable
    Buffer.alloc(70_000, 0x41), // over the record size bound
  ];
  for (let i = 0; i < 500; i++) forged.push(codec.encodeJson(base('exclude', T + 10 + i)));
  const real = signControl(base('kill', T + 1000), 'ops', operator.privateKey);
  await produce(topic, [
    ...forged.map((value) => ({ key: 'x', value })),
    { key: controlKey(real), value: codec.encodeJson(real) },
  ]);
  const reader = createConfiguredControlReader(config, {
    logger: createLogger({ level: 'silent' }),
    metrics,
    onControl: (r) => applied.push(r),
  });
  await reader.start();
  try {
    expect(await waitFor(() => applied.length >= 1, 30_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(applied).toHaveLength(1);
    expect(applied[0]).toMatchObject({ kind: 'kill', keyId: 'ops', issuedAt: T + 1000 });
    const text = await metrics.render();
    expect(text).toMatch(/homeostat_control_records_total\{result="forged"\} 503/);
    expect(text).toMatch(/homeostat_control_records_total\{result="unreadable"\} 2/);
  } finally {
    await reader.stop();
  }
});
