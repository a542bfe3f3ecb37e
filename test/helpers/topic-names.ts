import { benchTopics, TOPIC_KEYS } from '../../bench/lib/kafka';

/** The config's topic keys (`topics.*`, docs/config.md), the benches' list: a test's own set of topics, one per key. */
export { TOPIC_KEYS };
export type TopicKey = (typeof TOPIC_KEYS)[number];

/** Every topic key named `<prefix>.<key>`, as `topics` of a config. */
export const topicNames: (prefix: string) => Record<TopicKey, string> = benchTopics;
