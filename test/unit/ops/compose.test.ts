/**
 * docker-compose.yml is for users with Docker (no engine runs here): check that every
 * homeostat command it runs exists in this project's CLI, with options the CLI accepts, and
 * that every file it mounts or names exists.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { buildProgram } from '../../../src/cli/main';
import { loadConfig } from '../../../src/config/homeostat-config';

const root = resolve(__dirname, '..', '..', '..');
interface Service {
  build?: string;
  image?: string;
  command?: string[];
  volumes?: string[];
}

test('every homeostat command in docker-compose.yml exists and parses', () => {
  const compose = parse(readFileSync(resolve(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, Service>;
  };
  const ours = Object.entries(compose.services).filter(([, s]) => s.build === '.');
  expect(ours.map(([n]) => n).sort()).toEqual(
    [
      'executor-kafka-quota',
      'executor-query-timeout',
      'executor-retry-policy',
      'homeostat',
      'load',
      'topics',
      'worker-1',
      'worker-2',
    ].sort(),
  );
  const program = buildProgram();
  const names = program.commands.map((c) => c.name());
  for (const [name, service] of ours) {
    const argv = service.command!;
    expect({ service: name, known: names.includes(argv[0]) }).toEqual({ service: name, known: true });
    const cmd = program.commands.find((c) => c.name() === argv[0])!;
    // Every --option it passes is one the command (or its subcommand) declares.
    const sub = cmd.commands.find((c) => c.name() === argv[1]) ?? cmd;
    for (const flag of argv.filter((a) => a.startsWith('--'))) {
      expect({ service: name, flag, declared: sub.options.some((o) => o.long === flag) }).toEqual({
        service: name,
        flag,
        declared: true,
      });
    }
    for (const v of service.volumes ?? []) expect(existsSync(resolve(root, v.split(':')[0]))).toBe(true);
    const config = argv.indexOf('--config');
    if (config >= 0) expect(() => loadConfig({ file: resolve(root, argv[config + 1]), env: {} })).not.toThrow();
  }
  expect(existsSync(resolve(root, 'Dockerfile'))).toBe(true);
});
