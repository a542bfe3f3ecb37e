/**
 * The wire contract on the real broker and registry: telemetry produced with kafkajs as
 * Confluent-framed Avro (schema registered in the real registry) and as JSON comes back
 * field by field; bad records give typed errors that name the problem.
 */
import {
  createTelemetryAvroEncoder,
  createTelemetryDecoder,
  encodeTelemetryJson,
  registerSchema,
  subjectFor,
} from '../../src/codec';
import { InputError } from '../../src/errors';
import { createRegistryResolver } from '../../src/kafka/registry';
import type { Telemetry } from '../../src/model/telemetry';
import { createTopic, produce, randomName, readTopic } from '../helpers/kafka';
import { registryUrl } from '../helpers/services';

const samples: Telemetry[] = Array.from({ length: 50 }, (_, i): Telemetry => ({
  ts: Date.UTC(2026, 0, 1) + i * 1000,
  source: `worker-${i % 5}`,
  metric: i % 2 === 0 ? 'query.latency_ms' : 'queue.depth',
  value: i * 1.5 + 0.25,
  tags: i % 3 === 0 ? { tenant: `t${i % 4}`, role: 'worker' } : {},
}));

describe('telemetry round trip through Kafka and the registry', () => {
  const resolver = createRegistryResolver({ url: registryUrl() });

  test('Avro and JSON records decode field by field', async () => {
    const topic = randomName('codec');
    await createTopic(topic, 2);
    const id = await registerSchema(resolver, 'telemetry', subjectFor(topic));
    expect(await resolver.registry.getLatestSchemaId(subjectFor(topic))).toBe(id);
    const avro = createTelemetryAvroEncoder(id);
    await produce(topic, [
      ...samples.map((t) => ({ key: t.source, value: avro.encode(t), headers: { format: 'avro' } })),
      ...samples.map((t) => ({ key: t.source, value: encodeTelemetryJson(t), headers: { format: 'json' } })),
    ]);
    const got = await readTopic(topic, samples.length * 2);
    expect(got.length).toBe(samples.length * 2);
    // A fresh decoder: the writer schema is fetched from the registry by id.
    const decoder = createTelemetryDecoder({ resolver });
    const byFormat = { avro: [] as Telemetry[], json: [] as Telemetry[] };
    for (const m of got) {
      const t = await decoder.decode(m.value);
      byFormat[String(m.headers?.format) as 'avro' | 'json'].push(t);
    }
    const order = (a: Telemetry, b: Telemetry): number => a.ts - b.ts;
    for (const list of [byFormat.avro, byFormat.json]) {
      expect(list.sort(order)).toEqual(samples);
    }
  });

  test('bad records give typed errors that name the problem', async () => {
    const decoder = createTelemetryDecoder({ resolver });
    const cases: [Buffer, string, RegExp][] = [
      [
        Buffer.from('plain text, neither Avro nor JSON'),
        'NOT_DECODABLE',
        /expected Confluent-framed Avro .* or a UTF-8 JSON object/,
      ],
      [Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1, 2]), 'UNKNOWN_SCHEMA_ID', /2147483632|schema id/i],
      [Buffer.from(JSON.stringify({ source: 's', metric: 'm', value: 1, tags: {} })), 'MISSING_FIELD', /ts/],
      [
        Buffer.from(JSON.stringify({ ts: Date.UTC(2026, 0, 1), source: 's', metric: 'm', value: 'NaN', tags: {} })),
        'NON_FINITE_VALUE',
        /value/,
      ],
    ];
    for (const [bytes, code, message] of cases) {
      const err = await decoder.decode(bytes).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).code).toBe(code);
      expect((err as InputError).message).toMatch(message);
    }
  });
});
