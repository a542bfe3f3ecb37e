/** The config's topic keys (`topics.*`, docs/config.md): a test's own set of topics, one per key. */
export const TOPIC_KEYS = [
  'telemetry',
  'dlq',
  'signals',
  'decisions',
  'actions',
  'actionResults',
  'outcomes',
  'control',
  'state',
  'stage',
] as const;
export type TopicKey = (typeof TOPIC_KEYS)[number];

/** Every topic key named `<prefix>.<key>`, as `topics` of a config. */
export function topicNames(prefix: string): Record<TopicKey, string> {
  return Object.fromEntries(TOPIC_KEYS.map((t) => [t, `${prefix}.${t}`])) as Record<TopicKey, string>;
}
