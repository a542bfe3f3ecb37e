import { FakeKafka } from '../../helpers/fake-kafka';
import { silentLogger } from '../../../src/ops/logger';
import { createMetrics } from '../../../src/ops/metrics';
import { DLQ_HEADERS } from '../../../src/kafka/dlq';
import { BROKER_DEFAULT_MAX_MESSAGE_BYTES, OUTPUT_FRAMING_BYTES, OutputGuard } from '../../../src/kafka/output-guard';

async function guardWith(limits: Record<string, number>) {
  const kafka = new FakeKafka({ topics: { signals: 1, dlq: 1, state: 1 } });
  for (const [t, n] of Object.entries(limits)) kafka.maxMessageBytes.set(t, n);
  const metrics = createMetrics();
  const guard = new OutputGuard({
    topics: ['signals', 'state'],
    dlqTopic: 'dlq',
    dlqMaxMessageBytes: 1_048_576,
    logger: silentLogger(),
    metrics,
  });
  await guard.load(kafka);
  return { guard, metrics };
}

describe('the output guard', () => {
  it('passes outputs that fit as they are (the same array, nothing copied)', async () => {
    const { guard } = await guardWith({ signals: 8192 });
    const tms = [{ topic: 'signals', messages: [{ key: 'a', value: Buffer.alloc(1000) }] }];
    expect(guard.fit(tms)).toEqual({ topicMessages: tms, refused: 0 });
    expect(guard.fit(tms).topicMessages).toBe(tms);
  });

  it('dead-letters an output over its topic limit with the reason, keeps the rest, and counts once committed', async () => {
    const { guard, metrics } = await guardWith({ signals: 8192 });
    const big = Buffer.alloc(8192 - OUTPUT_FRAMING_BYTES + 1, 0x61);
    const out = guard.fit([
      {
        topic: 'signals',
        messages: [
          { key: 'a', value: Buffer.from('small') },
          { key: 'b', value: big },
        ],
      },
      { topic: 'state', messages: [{ key: 's', value: Buffer.from('{}') }] },
    ]);
    expect(out.refused).toBe(1);
    expect(out.topicMessages.map((t) => [t.topic, t.messages.length])).toEqual([
      ['signals', 1],
      ['state', 1],
      ['dlq', 1],
    ]);
    const dead = out.topicMessages[2].messages[0];
    expect(dead.headers?.[DLQ_HEADERS.code]).toBe('OUTPUT_TOO_LARGE');
    expect(dead.headers?.[DLQ_HEADERS.topic]).toBe('signals');
    expect(String(dead.headers?.[DLQ_HEADERS.message])).toMatch(/8192 bytes its max\.message\.bytes allows/);
    guard.committed(out.refused);
    expect(await metrics.render()).toMatch(/dlq_records_total\{reason="OUTPUT_TOO_LARGE"\} 1/);
  });

  it('holds a topic whose limit cannot be read to the broker default, and bounds requests by the limit', async () => {
    const { guard } = await guardWith({ signals: 4096 });
    expect(guard.requestBytes('signals', 512 * 1024)).toBe(4096 - OUTPUT_FRAMING_BYTES);
    expect(guard.requestBytes('state', 512 * 1024)).toBe(512 * 1024);
    const justOver = Buffer.alloc(BROKER_DEFAULT_MAX_MESSAGE_BYTES - OUTPUT_FRAMING_BYTES + 1);
    expect(guard.fit([{ topic: 'state', messages: [{ key: 's', value: justOver }] }]).refused).toBe(1);
    expect(guard.fit([{ topic: 'elsewhere', messages: [{ key: 's', value: justOver }] }]).refused).toBe(0);
  });
});
