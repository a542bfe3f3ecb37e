/**
 * Replay is the pure pipeline, deterministic to the byte: the same recording and config give
 * the same signals, commands and decisions — run twice, from memory or from files, and equal to
 * driving the processor and the decision stage by hand the way the Kafka runner does.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createRecordCodec, resolveTelemetryLimits } from '../../../src/codec';
import type { WindowSignal } from '../../../src/model/signal';
import { engineConfigFrom } from '../../../src/config/resolve-engine';
import { createDecisionStage, type DecideOutputs } from '../../../src/pipeline/decide';
import { createProcessor, emptyOutputs } from '../../../src/pipeline/processor';
import { writeTelemetryJsonl } from '../../../src/import';
import { createJsonlWriter } from '../../../src/replay/jsonl';
import { mergeByEventTime } from '../../../src/replay/merge';
import { replayBatches, replayRecordsSync, type ReplayResult } from '../../../src/replay/replay';
import { replaySetupFromConfig } from '../../../src/replay/setup';
import { fileSources } from '../../../src/replay/sources';
import { PARTITIONS, T0, asInputs, scenarioConfig, scenarioPartitions } from './replay-fixtures';

const partitions = Array.from({ length: PARTITIONS }, (_, i) => i);

function bytes(result: Pick<ReplayResult, 'signals' | 'commands' | 'decisions'>): {
  signals: string;
  commands: string;
  decisions: string;
} {
  const enc = <T>(kind: 'signal' | 'command' | 'decision', xs: readonly T[]): string =>
    xs
      .map((x) =>
        createRecordCodec(kind)
          .encodeJson(x as never)
          .toString('utf8'),
      )
      .join('\n');
  return {
    signals: enc('signal', result.signals),
    commands: enc('command', result.commands),
    decisions: enc('decision', result.decisions),
  };
}

function replayOnce(env: NodeJS.ProcessEnv = {}): ReplayResult {
  const setup = replaySetupFromConfig(scenarioConfig(), { partitions, env });
  return replayRecordsSync(mergeByEventTime(asInputs(scenarioPartitions())), setup);
}

describe('replay determinism', () => {
  const first = replayOnce();

  it('acts: every policy issues commands, in several decision kinds', () => {
    expect(new Set(first.commands.map((c) => c.policy))).toEqual(new Set(['timeouts', 'herds', 'quotas']));
    const kinds = new Set(first.decisions.map((d) => d.kind));
    for (const k of ['acted', 'shadowed', 'control', 'reverted'] as const) expect(kinds).toContain(k);
    expect(first.counters.late).toBe(0);
    expect(first.counters.consumed).toBe(first.counters.aggregated + first.counters.late + first.counters.deadLettered);
  });

  it('gives byte-identical signals, commands and decisions on a second run', () => {
    const second = replayOnce();
    expect(bytes(second)).toEqual(bytes(first));
    expect(second.counters).toEqual(first.counters);
  });

  it('never signs with a generated key: without a configured key commands are unsigned', () => {
    expect(first.commands.every((c) => c.keyId === '' && c.signature === '')).toBe(true);
  });

  it('signs with a key from the environment, identically every time', () => {
    const env = {
      HOMEOSTAT_SIGNING_KEY: 'base64:' + Buffer.alloc(32, 7).toString('base64'),
      HOMEOSTAT_SIGNING_KEY_ID: 'replay-test',
    };
    const a = replayOnce(env);
    const b = replayOnce(env);
    expect(a.commands.length).toBe(first.commands.length);
    expect(a.commands.every((c) => c.keyId === 'replay-test' && /^[A-Za-z0-9+/]{86}==$/.test(c.signature))).toBe(true);
    expect(bytes(a).commands).toBe(bytes(b).commands);
    // Same ids and decisions as unsigned: the signature covers the command, it is not part of its identity.
    expect(a.commands.map((c) => c.id)).toEqual(first.commands.map((c) => c.id));
    expect(bytes(a).decisions).toBe(bytes(first).decisions);
  });

  it('equals the processor and decision stage driven step by step, as the Kafka runner does', () => {
    const config = scenarioConfig();
    const setup = replaySetupFromConfig(config, { partitions, env: {} });
    const processor = createProcessor({ engine: engineConfigFrom(config), partitionCount: PARTITIONS });
    const stage = createDecisionStage(setup.decisions);
    const out = emptyOutputs();
    const decided: DecideOutputs = { commands: [], decisions: [] };
    const finals: WindowSignal[] = [];
    processor.step({ kind: 'assign', partitions }, out);
    const drain = (): void => {
      finals.push(...out.finals);
      stage.onFinals(out.finals, decided);
      out.finals.length = 0;
      out.published.length = 0;
    };
    for (const input of mergeByEventTime(asInputs(scenarioPartitions()))) {
      if (!('record' in input)) throw new Error('fixture has no invalid inputs');
      processor.step({ kind: 'record', partition: input.partition, offset: input.offset, record: input.record }, out);
      drain();
    }
    processor.step({ kind: 'flush' }, out);
    drain();
    expect(bytes({ signals: finals, commands: decided.commands, decisions: decided.decisions })).toEqual(bytes(first));
  });

  it('evaluates each window end once, with all of its signals', () => {
    const ends = new Set(first.signals.map((s) => s.windowEnd));
    expect(first.counters.evaluations).toBe(ends.size);
    // Decisions come out in event-time order.
    const times = first.decisions.map((d) => d.eventTime);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  describe('from files', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'homeostat-replay-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    async function replayFiles(tag: string): Promise<{ decisions: Buffer; commands: Buffer; signals: Buffer }> {
      const files = await Promise.all(
        scenarioPartitions().map(async (records, i) => {
          const f = path.join(dir, `${tag}-p${i}.jsonl`);
          await writeTelemetryJsonl(records, f);
          return f;
        }),
      );
      const setup = replaySetupFromConfig(scenarioConfig(), { partitions, env: {} });
      const out = {
        decisions: path.join(dir, `${tag}-d.jsonl`),
        commands: path.join(dir, `${tag}-c.jsonl`),
        signals: path.join(dir, `${tag}-s.jsonl`),
      };
      const d = createJsonlWriter('decision', out.decisions);
      const c = createJsonlWriter('command', out.commands);
      const s = createJsonlWriter('signal', out.signals);
      // Small chunks: many batches per file, so the batch merge interleaves across reads.
      await replayBatches(fileSources(files, { import: { chunkSize: 4096 } }), setup, {
        decisions: (x) => d.write(x),
        commands: (x) => c.write(x),
        signals: (x) => s.write(x),
      });
      for (const w of [d, c, s]) w.close();
      return {
        decisions: readFileSync(out.decisions),
        commands: readFileSync(out.commands),
        signals: readFileSync(out.signals),
      };
    }

    it('dead-letters lines that do not import and records the live limits refuse, and counts them', async () => {
      const file = path.join(dir, 'mixed.jsonl');
      const ok = (ts: number): string =>
        JSON.stringify({ ts, source: 'w1', metric: 'queue.depth', value: 1, tags: {} });
      writeFileSync(
        file,
        [
          ok(T0),
          '{"ts":',
          ok(1_700),
          ok(T0 + 1000),
          JSON.stringify({
            ts: T0 + 2000,
            source: 'w1',
            metric: 'queue.depth',
            value: 1,
            tags: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'])),
          }),
        ].join('\n'),
      );
      const dead: string[] = [];
      const setup = replaySetupFromConfig(scenarioConfig(), { partitions: [0], env: {} });
      const counters = await replayBatches(fileSources([file], { limits: resolveTelemetryLimits() }), setup, {
        dead: (ds) => dead.push(...ds.map((d) => `${d.offset} ${d.code}`)),
      });
      expect(dead).toEqual(['1 INVALID_JSON', '2 TS_OUT_OF_RANGE', '4 TOO_MANY_TAGS']);
      expect(counters).toMatchObject({ inputs: 5, aggregated: 2, deadLettered: 3 });
    });

    it('writes the same bytes twice, equal to the in-memory replay', async () => {
      const a = await replayFiles('a');
      const b = await replayFiles('b');
      expect(a.decisions.equals(b.decisions)).toBe(true);
      expect(a.commands.equals(b.commands)).toBe(true);
      expect(a.signals.equals(b.signals)).toBe(true);
      const mem = bytes(first);
      expect(a.decisions.toString('utf8')).toBe(`${mem.decisions}\n`);
      expect(a.commands.toString('utf8')).toBe(`${mem.commands}\n`);
      expect(a.signals.toString('utf8')).toBe(`${mem.signals}\n`);
    });
  });
});
