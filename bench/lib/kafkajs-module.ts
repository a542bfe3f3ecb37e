/**
 * A module of kafkajs as kafkajs ships it, compiled from its file: the require cache may hold
 * homeostat's replacement under the same path (src/kafka/kafkajs-patches.ts), and the benches
 * time the two against each other. Its own requires resolve from its directory as usual.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export function kafkajsModule(id: string): unknown {
  const path = require.resolve(id);
  const mod = { exports: {} as unknown };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const load = new Function('module', 'exports', 'require', readFileSync(path, 'utf8')) as (
    m: object,
    e: unknown,
    r: NodeRequire,
  ) => void;
  load(mod, mod.exports, createRequire(path));
  return mod.exports;
}

/** A module of kafkajs from the require cache (Encoder, Long, codecs: shared with kafkajs's own). */
export function kafkajsModuleShared(id: string): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(id) as unknown;
}
