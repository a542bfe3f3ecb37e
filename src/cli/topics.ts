import type { Command } from 'commander';
import { createKafka, explainKafkaError } from '../kafka/client';
import { ensureTopics, topicSpecs } from '../kafka/topics';
import { loadConfig } from '../config/homeostat-config';
import { addConnectionOptions, type ConnectionOptions } from './options';

export function registerTopicsCommand(program: Command): void {
  const topics = program.command('topics').description('manage the Kafka topics homeostat uses');
  addConnectionOptions(
    topics
      .command('create')
      .description(
        'create every homeostat topic that is missing (idempotent); reports what it created and what existed',
      ),
  ).action(async (opts: ConnectionOptions) => {
    const config = loadConfig({ file: opts.config, brokers: opts.brokers });
    const admin = createKafka(config.kafka).admin();
    try {
      await admin.connect();
      const result = await ensureTopics(admin, topicSpecs(config.topics, config.runner.decisionShards));
      for (const t of result.created) process.stdout.write(`created  ${t}\n`);
      for (const t of result.existing) process.stdout.write(`exists   ${t}\n`);
      process.stdout.write(`${result.created.length} created, ${result.existing.length} already existed\n`);
    } catch (err) {
      throw explainKafkaError(err, config.kafka.brokers);
    } finally {
      await admin.disconnect();
    }
  });
}
