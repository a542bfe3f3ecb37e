/**
 * The tiers on the real broker run kafkajs with homeostat's replacements in it, as `homeostat`
 * does in production (src/kafka/kafkajs-patches.ts puts them in Node's require cache; jest has
 * a module registry of its own, so they are registered here): the one-pass grouping of a send,
 * the fast produce request, the fast record batch decoder, the requests' framing in one buffer and
 * the consumer's batch. Every record these tests produce
 * or consume through kafkajs is then encoded and decoded as production does it.
 */
jest.mock('kafkajs/src/producer/groupMessagesPerPartition', () => {
  const patches = jest.requireActual<typeof import('../../src/kafka/kafkajs-patches')>(
    '../../src/kafka/kafkajs-patches',
  );
  return patches.groupMessagesPerPartition;
});
jest.mock('kafkajs/src/protocol/requests/produce/v3/request', () => {
  const fast = jest.requireActual<typeof import('../../src/kafka/produce-request')>('../../src/kafka/produce-request');
  // kafkajs's own modules, its v3 request among them (what the fast path hands over to).
  return fast.fastProduceRequestFromKafkajs((id) => jest.requireActual(id));
});
jest.mock('kafkajs/src/protocol/recordBatch/v0/decoder', () => {
  const fast = jest.requireActual<typeof import('../../src/kafka/record-batch-decoder')>(
    '../../src/kafka/record-batch-decoder',
  );
  // kafkajs's own modules, its record batch decoder among them (what the fast path hands over to).
  return fast.fastRecordBatchDecoderFromKafkajs((id) => jest.requireActual(id));
});
jest.mock('kafkajs/src/protocol/request', () => {
  const fast = jest.requireActual<typeof import('../../src/kafka/request-frame')>('../../src/kafka/request-frame');
  // kafkajs's own framing among its modules (what the fast path hands over to).
  return fast.fastRequestFrameFromKafkajs((id) => jest.requireActual(id));
});
jest.mock('kafkajs/src/consumer/batch', () => {
  const fast = jest.requireActual<typeof import('../../src/kafka/fetch-batch')>('../../src/kafka/fetch-batch');
  // kafkajs's own Batch among its modules (its prototype is the fast batch's).
  return fast.fastBatchFromKafkajs((id) => jest.requireActual(id));
});
