import type { Command } from 'commander';

/** Options every command that talks to Kafka accepts, with their environment fallbacks. */
export interface ConnectionOptions {
  config?: string;
  brokers?: string;
  registry?: string;
}

export function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'YAML configuration file (see docs/config.md)')
    .option('--brokers <list>', 'Kafka bootstrap brokers, host:port[,host:port] (env KAFKA_BROKERS)')
    .option('--registry <url>', 'Schema Registry URL (env SCHEMA_REGISTRY_URL)');
}
