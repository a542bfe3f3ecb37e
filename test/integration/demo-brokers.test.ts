/**
 * `homeostat demo --brokers` on the real broker and registry: a scenario with remediation on
 * runs through the real topics — telemetry topic → createRunner → signed commands on the
 * actions topic → executor SDK → action-results topic — in lockstep with simulated time.
 * The commands are read back from the actions topic; the run must equal the in-process
 * run with the same seed (figures, series, commands, executor timeline, counters) and beat
 * remediation off; the CLI prints the same table, says so, and leaves no topics behind.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { verifyCommand } from '../../src/actions';
import { createRecordCodec } from '../../src/codec';
import { compareResults } from '../../src/demo/compare';
import { runThroughKafka } from '../../src/demo/lockstep';
import { deleteRunResources, newRunId } from '../../src/demo/topics';
import { silentLogger } from '../../src/ops/logger';
import { figure, prepareScenario, runScenario, type ScenarioResult } from '../../src/sim';
import { BIN } from '../helpers/cli';
import { randomName, readTopic, withAdmin } from '../helpers/kafka';
import { brokers, registryUrl } from '../helpers/services';
import { testKeyring, testSigningKey } from '../helpers/keys';

const run = promisify(execFile);
const value = (r: ScenarioResult, key: string): number => {
  const v = figure(r, key);
  if (v === null) throw new Error(`figure ${key} is null`);
  return v;
};

test('thundering herd through the real topics: commands on the actions topic, results on action-results, the same run as in-process, acting during the outage', async () => {
  const opts = { remediation: true, seed: 1 };
  const signing = testSigningKey('demo-test', 9);
  const { result, stats } = await runThroughKafka(prepareScenario('thundering-herd', opts), {
    brokers: brokers(),
    prefix: randomName('demo-test'),
    runId: newRunId(),
    keepTopics: true,
    logger: silentLogger(),
    signing,
  });
  try {
    // Every command the run reports was read back, signed, from the actions topic, in order.
    const commands = (await readTopic(stats.names.topics.actions, stats.commands, 30_000)).map((m) =>
      createRecordCodec('command').decodeJson(m.value!),
    );
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.map((c) => c.id)).toEqual(result.commands.map((c) => c.id));
    for (const c of commands) {
      expect(verifyCommand(c, testKeyring(signing))).toEqual({ ok: true });
      expect(c.mode).toBe('enforce');
      expect(c.target).toBe('api');
    }
    expect(commands.some((c) => c.type === 'retry_policy.set')).toBe(true);

    // The executor SDK handled each of them and said so on the action-results topic.
    const results = (await readTopic(stats.names.topics.actionResults, commands.length, 30_000)).map((m) =>
      createRecordCodec('action-result').decodeJson(m.value!),
    );
    expect(results.map((r) => r.commandId)).toEqual(commands.map((c) => c.id));
    expect(results.map((r) => r.status)).toEqual(
      commands.map((c) => (c.type.endsWith('.revert') ? 'reverted' : 'applied')),
    );
    expect(stats.executor.rejected + stats.executor.failed + stats.executor.expired + stats.executor.duplicate).toBe(0);
    expect(result.loop.consumed).toBe(stats.records);

    // Lockstep: exactly the in-process run with the same seed.
    const inProcess = runScenario('thundering-herd', opts);
    expect(compareResults(result, inProcess)).toEqual([]);
    expect(result.commands.map((c) => ({ ...c, keyId: '', signature: '' }))).toEqual(inProcess.commands);
    expect(result.executor).toEqual(inProcess.executor);
    expect(result.figures).toEqual(inProcess.figures);

    // On defaults against clients on the library's defaults there is no herd to break up
    // (docs/simulation.md, efficacy study): the loop answers the outage while it is on, by
    // delaying retries (its first levels leave the clients' budget alone), so more requests
    // succeed than off's and no more retries are sent.
    const off = runScenario('thundering-herd', { ...opts, remediation: false });
    expect(result.executor.find((e) => e.kind === 'set')?.t).toBeLessThan(result.disturbance.end);
    expect(value(result, 'successShare')).toBeGreaterThan(value(off, 'successShare'));
    expect(value(result, 'retryAmplification')).toBeLessThan(value(off, 'retryAmplification') + 0.02);
    expect(value(off, 'peakOverCapacity')).toBeLessThan(2);
  } finally {
    await withAdmin((admin) => deleteRunResources(admin, stats.names));
  }
  const left = await withAdmin((admin) => admin.listTopics());
  expect(left.filter((t) => t.startsWith(stats.names.base))).toEqual([]);
}, 240_000);

test('homeostat demo --brokers --registry (Avro): the table, identical to in-process, topics deleted', async () => {
  const out = mkdtempSync(join(tmpdir(), 'homeostat-demo-brokers-'));
  const prefix = randomName('demo-cli');
  const { stdout, stderr } = await run(
    process.execPath,
    [
      BIN,
      'demo',
      '--brokers',
      brokers().join(','),
      '--registry',
      registryUrl(),
      '--prefix',
      prefix,
      '--scenarios',
      'thundering-herd',
      '--duration',
      '90',
      '--out',
      out,
    ],
    { timeout: 180_000 },
  );
  const line = stdout.split('\n').find((l) => /logical requests that succeeded/.test(l));
  expect(line).toBeDefined();
  const [off, on] = [...line!.matchAll(/(\d[\d,]*\.?\d*)\s*%/g)].map((m) => Number(m[1].replace(/,/g, '')));
  expect(off).toBeGreaterThan(50);
  // herd-control's first levels delay retries rather than drop them: more requests succeed (as above).
  expect(on).toBeGreaterThan(off);
  expect(stdout).toMatch(/identical to the in-process run/);
  expect(stdout).not.toMatch(/DIFFERS/);
  expect(stdout).toMatch(/executor SDK: \d+ applied/);
  expect(stdout).toMatch(/topics and groups and \d+ schema subjects under .* deleted/);
  expect(stderr).toMatch(/thundering-herd through Kafka: 90\/90 simulated s/);
  const left = await withAdmin((admin) => admin.listTopics());
  expect(left.filter((t) => t.startsWith(`${prefix}.`))).toEqual([]);
  const subjects = (await (await fetch(`${registryUrl()}/subjects`)).json()) as string[];
  expect(subjects.filter((s) => s.startsWith(`${prefix}.`))).toEqual([]);
}, 240_000);
