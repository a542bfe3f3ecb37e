/**
 * The Kafka demo's pure parts (src/demo, src/cli/demo*): the comparison that decides whether
 * a run through Kafka equals the in-process run, the run's resource names, and the CLI's
 * option parsing. The run itself is tested against the real broker in
 * test/integration/demo-brokers.test.ts.
 */
import { signCommand } from '../../../src/actions';
import { checkDuration, parseDuration, parseScenarios } from '../../../src/cli/demo';
import { parseBrokers } from '../../../src/cli/demo-brokers';
import { compareResults } from '../../../src/demo/compare';
import { allTopics, checkPrefix, demoNames, newRunId } from '../../../src/demo/topics';
import { HomeostatError } from '../../../src/errors';
import { runScenario, SCENARIOS, type ScenarioResult } from '../../../src/sim';
import { testSigningKey } from '../../helpers/keys';

const base = runScenario('thundering-herd', { remediation: true, seed: 1 });
// A fresh run rather than structuredClone: under jest a clone's arrays come from another realm, which deep equality tells apart.
const copy = (): ScenarioResult => runScenario('thundering-herd', { remediation: true, seed: 1 });

describe('compareResults', () => {
  it('finds nothing between a result and its copy, signed commands included', () => {
    const signed = copy();
    signed.commands = signed.commands.map((c) => signCommand(c, testSigningKey('k', 2)));
    expect(compareResults(signed, base)).toEqual([]);
  });

  it('names a figure that moved, a missing command, a changed executor event and a changed series', () => {
    const other = copy();
    other.figures[0] = { ...other.figures[0], value: (other.figures[0].value ?? 0) + 1 };
    other.commands.pop();
    other.executor[0] = { ...other.executor[0], t: other.executor[0].t + 1000 };
    other.series.attempts.points[3] = [other.series.attempts.points[3][0], -1];
    const d = compareResults(other, base);
    expect(d).toContain(
      `figure ${base.figures[0].key}: ${String((base.figures[0].value ?? 0) + 1)} through Kafka, ${String(base.figures[0].value)} in-process`,
    );
    expect(d).toContain(`commands: ${base.commands.length - 1} through Kafka, ${base.commands.length} in-process`);
    expect(d.some((x) => x.startsWith('executor event #1: '))).toBe(true);
    expect(d).toContain('series attempts differs');
  });

  it('sees a changed command parameter even with the same id', () => {
    const other = copy();
    other.commands[0] = { ...other.commands[0], params: { ...other.commands[0].params, retryBaseMs: 1 } };
    expect(compareResults(other, base)).toEqual([expect.stringMatching(/^command #1: /)]);
  });
});

describe('demo resource names', () => {
  it('puts every topic, group and transactional id of a run under <prefix>.<run id>.<scenario>', () => {
    const runId = newRunId(Date.UTC(2026, 0, 1));
    for (const s of SCENARIOS) {
      const n = demoNames('homeostat-demo', runId, s);
      expect(n.base).toBe(`homeostat-demo.${runId}.${s}`);
      const all = [
        ...allTopics(n),
        n.processorGroup,
        n.processorTransactionalId,
        n.executorGroup,
        n.executorTransactionalId,
      ];
      for (const name of all) expect(name.startsWith(`${n.base}.`)).toBe(true);
      expect(new Set(allTopics(n)).size).toBe(allTopics(n).length);
      for (const t of allTopics(n)) expect(t).toMatch(/^[a-zA-Z0-9._-]{1,249}$/);
    }
  });

  it('gives two runs different ids', () => {
    expect(newRunId(1)).not.toBe(newRunId(1));
  });

  it('refuses a prefix that cannot be part of a topic name, naming the fix', () => {
    expect(() => checkPrefix('my demo')).toThrow(/letters, digits/);
    expect(() => checkPrefix('')).toThrow(HomeostatError);
    expect(checkPrefix('team_a.demo-1')).toBe('team_a.demo-1');
  });
});

describe('homeostat demo options', () => {
  it('--scenarios: a subset in the canonical order; unknown names refused with the valid ones', () => {
    expect(parseScenarios(undefined)).toEqual([...SCENARIOS]);
    expect(parseScenarios('noisy-tenant, thundering-herd')).toEqual(['thundering-herd', 'noisy-tenant']);
    expect(() => parseScenarios('herd')).toThrow(
      /unknown herd; use a comma-separated subset of overloaded-workers, thundering-herd, noisy-tenant/,
    );
    expect(() => parseScenarios(',')).toThrow(/empty/);
  });

  it('--duration: whole simulated seconds', () => {
    expect(parseDuration(undefined)).toBeUndefined();
    expect(parseDuration('90')).toBe(90_000);
    expect(() => parseDuration('1.5')).toThrow(/whole number/);
    expect(() => parseDuration('0')).toThrow(/whole number/);
  });

  it('--duration is checked against every chosen scenario before anything runs, naming each one that refuses it', () => {
    expect(() => checkDuration([...SCENARIOS], undefined)).not.toThrow();
    expect(() => checkDuration(['thundering-herd'], 90_000)).not.toThrow();
    expect(() => checkDuration([...SCENARIOS], 90_000)).toThrow(
      /^--duration 90: overloaded-workers runs 180-3600 s, noisy-tenant runs 180-3600 s/,
    );
    expect(() => checkDuration(['thundering-herd'], 4_000_000)).toThrow(/thundering-herd runs 85-3600 s/);
  });

  it('--brokers: host:port, comma-separated', () => {
    expect(parseBrokers('127.0.0.1:9092, kafka:9093')).toEqual(['127.0.0.1:9092', 'kafka:9093']);
    expect(() => parseBrokers('localhost')).toThrow(/localhost is not host:port/);
    expect(() => parseBrokers(' , ')).toThrow(/empty/);
  });
});
