/**
 * The services every integration test relies on are real and usable with the clients
 * homeostat uses: kafkajs against the broker, @kafkajs/confluent-schema-registry against
 * the registry's Confluent-compatible API, and the two together (Confluent wire format).
 */
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { Consumer, Kafka, KafkaMessage, logLevel, Partitioners } from 'kafkajs';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { brokers, registryUrl } from '../helpers/services';

const kafka = new Kafka({ clientId: 'homeostat-services-test', brokers: brokers(), logLevel: logLevel.ERROR });

const probeSchema = {
  type: 'record',
  name: 'ServicesProbe',
  namespace: 'homeostat.test',
  fields: [
    { name: 'source', type: 'string' },
    { name: 'value', type: 'double' },
  ],
};

/** Resolves with the first message the consumer sees; rejects after `timeoutMs`. */
async function firstMessage(consumer: Consumer, timeoutMs: number): Promise<KafkaMessage> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await new Promise<KafkaMessage>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no message within ${timeoutMs} ms`)), timeoutMs);
      consumer.run({ eachMessage: ({ message }) => Promise.resolve(resolve(message)) }).catch(reject);
    });
  } finally {
    clearTimeout(timer);
  }
}

/** Creates a fresh topic, sends one message to it and reads it back with a new group. */
async function roundTrip(key: string, value: Buffer): Promise<KafkaMessage> {
  const topic = `homeostat.test.services.${randomUUID()}`;
  const admin = kafka.admin();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId: `homeostat-test-${randomUUID()}` });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    expect(await admin.listTopics()).toContain(topic);
    await producer.connect();
    await producer.send({ topic, messages: [{ key, value }] });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    return await firstMessage(consumer, 60_000);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

describe('local services', () => {
  // An agent we can destroy, so no keep-alive socket to the registry outlives the tests.
  const agent = new Agent({ keepAlive: true });
  const newRegistry = (): SchemaRegistry => new SchemaRegistry({ host: registryUrl(), agent });

  afterAll(() => agent.destroy());

  it('kafka: creates a random topic, produces a message and consumes it back', async () => {
    const value = Buffer.from(`hello ${randomUUID()}`);
    const message = await roundTrip('probe-key', value);
    expect(message.key?.toString()).toBe('probe-key');
    expect(message.value).toEqual(value);
  });

  it('schema registry: registers an Avro schema, encodes, decodes and finds the latest id', async () => {
    const registry = newRegistry();
    const subject = `homeostat-test-${randomUUID()}-value`;
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(probeSchema) }, { subject });
    expect(Number.isInteger(id)).toBe(true);
    expect(await registry.getLatestSchemaId(subject)).toBe(id);

    const payload = { source: 'worker-1', value: 12.5 };
    const encoded = await registry.encode(id, payload);
    // Confluent framing: magic byte 0, then the schema id as a big-endian int32.
    expect(encoded[0]).toBe(0);
    expect(encoded.readInt32BE(1)).toBe(id);
    // A fresh client has no cached schema: decoding must fetch it from the registry by id.
    expect(await newRegistry().decode(encoded)).toEqual(payload);

    // A compatible second version gets its own id and becomes the subject's latest.
    const evolved = { ...probeSchema, fields: [...probeSchema.fields, { name: 'unit', type: 'string', default: '' }] };
    const v2 = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(evolved) }, { subject });
    expect(v2.id).not.toBe(id);
    expect(await registry.getLatestSchemaId(subject)).toBe(v2.id);
    expect(await newRegistry().decode(await registry.encode(v2.id, { ...payload, unit: 'ms' }))).toEqual({
      ...payload,
      unit: 'ms',
    });
  });

  it('both: an Avro record framed by the registry survives a trip through Kafka', async () => {
    const registry = newRegistry();
    const subject = `homeostat-test-${randomUUID()}-value`;
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(probeSchema) }, { subject });
    const payload = { source: `host-${randomUUID()}`, value: -0.25 };
    const message = await roundTrip(payload.source, await registry.encode(id, payload));
    expect(message.value).not.toBeNull();
    expect(await newRegistry().decode(message.value!)).toEqual(payload);
  });
});
