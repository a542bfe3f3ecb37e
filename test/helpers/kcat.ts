/**
 * Writes one compressed batch with kcat (librdkafka), as a Java, Go or librdkafka producer
 * would: kafkajs cannot write Snappy, LZ4 or ZSTD batches. kcat is a Debian package
 * (`apt-get install kcat`); without it the calling test fails, saying so.
 */
import { execFileSync } from 'node:child_process';
import { brokers } from './services';

export function kcatBatch(topic: string, partition: number, codec: 'zstd' | 'snappy' | 'lz4', lines: string[]): void {
  try {
    execFileSync('kcat', ['-P', '-b', brokers().join(','), '-t', topic, '-p', String(partition), '-z', codec], {
      input: `${lines.join('\n')}\n`,
    });
  } catch (err) {
    throw new Error(`kcat (apt-get install kcat) writes the ${codec} batch of this test: ${(err as Error).message}`);
  }
}
