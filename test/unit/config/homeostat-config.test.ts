import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configIssuesOf } from '../../helpers/thrown';
import { loadConfig } from '../../../src/config/homeostat-config';
import { engineConfigFrom } from '../../../src/config/resolve-engine';

function file(text: string): string {
  const f = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'c.yaml');
  writeFileSync(f, text);
  return f;
}

describe('configuration', () => {
  test('defaults, then file, then environment, then flags', () => {
    const f = file('kafka:\n  brokers: [file:1]\n  groupId: g1\nengine:\n  window: { sizeMs: 5000 }\n');
    expect(loadConfig({ env: {} }).kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(loadConfig({ file: f, env: {} }).kafka.brokers).toEqual(['file:1']);
    expect(loadConfig({ file: f, env: { KAFKA_BROKERS: 'env:2,env:3' } }).kafka.brokers).toEqual(['env:2', 'env:3']);
    const c = loadConfig({ file: f, env: { KAFKA_BROKERS: 'env:2' }, brokers: 'flag:4' });
    expect(c.kafka.brokers).toEqual(['flag:4']);
    expect(c.kafka.groupId).toBe('g1');
    expect(engineConfigFrom(c).window).toEqual({ sizeMs: 5000, advanceMs: 5000, graceMs: 1000 });
  });

  test("kafka.transactionalIdPrefix follows the group id unless given, so two groups' ids differ", () => {
    expect(loadConfig({ env: {} }).kafka.transactionalIdPrefix).toBe('homeostat-processor');
    const g1 = loadConfig({ file: file('kafka:\n  groupId: payments\n'), env: {} }).kafka;
    const g2 = loadConfig({ file: file('kafka:\n  groupId: search\n'), env: {} }).kafka;
    expect([g1.transactionalIdPrefix, g2.transactionalIdPrefix]).toEqual(['payments-processor', 'search-processor']);
    const given = file('kafka:\n  groupId: payments\n  transactionalIdPrefix: homeostat-processor\n');
    expect(loadConfig({ file: given, env: {} }).kafka.transactionalIdPrefix).toBe('homeostat-processor');
  });

  test('errors name the key, the value and the fix', () => {
    const issues = configIssuesOf(() =>
      loadConfig({
        env: {},
        file: file(
          'kafka:\n  sessionTimeoutMs: 6000\n  heartbeatIntervalMs: 5000\nengine:\n  windw: 1\nhttp:\n  port: 70000\n',
        ),
      }),
    );
    expect(
      issues.some((i) => i.startsWith('kafka.heartbeatIntervalMs') && /a third of kafka.sessionTimeoutMs/.test(i)),
    ).toBe(true);
    expect(issues.some((i) => i.startsWith('engine') && /'windw'/.test(i))).toBe(true);
    expect(issues.some((i) => i.startsWith('http.port: got 70000'))).toBe(true);
  });

  test('cross-field rules of the engine and the runner', () => {
    const bad = loadConfig({ env: {}, file: file('engine:\n  window: { sizeMs: 10000, advanceMs: 3000 }\n') });
    expect(configIssuesOf(() => engineConfigFrom(bad)).join('\n')).toMatch(
      /engine\.window\.sizeMs \(10000\) must be a multiple of window\.advanceMs/,
    );
    expect(
      configIssuesOf(() =>
        loadConfig({ env: {}, file: file('engine:\n  idleAfterMs: 60000\nrunner:\n  maxAheadMs: 30000\n') }),
      ).join('\n'),
    ).toMatch(/runner\.maxAheadMs.*must exceed engine\.idleAfterMs/);
  });

  test('runner.decisionShards: 0 by default, needs runner.scaleOut, named with the fix when out of range', () => {
    expect(loadConfig({ env: {} }).runner.decisionShards).toBe(0);
    const split = loadConfig({ env: {}, file: file('runner:\n  scaleOut: true\n  decisionShards: 3\n') });
    expect(split.runner.decisionShards).toBe(3);
    expect(
      configIssuesOf(() => loadConfig({ env: {}, file: file('runner:\n  decisionShards: 2\n') })).join('\n'),
    ).toMatch(
      /runner\.decisionShards.*needs runner\.scaleOut: true.*set runner\.scaleOut: true, or runner\.decisionShards: 0/,
    );
    for (const bad of ['-1', '65', '1.5'])
      expect(
        configIssuesOf(() =>
          loadConfig({ env: {}, file: file(`runner:\n  scaleOut: true\n  decisionShards: ${bad}\n`) }),
        ).join('\n'),
      ).toMatch(/runner\.decisionShards/);
  });

  test("runner.snapshotMaxMiB bounds the policies' snapshot: 512 by default, finite, named when out of range", () => {
    expect(loadConfig({ env: {} }).runner.snapshotMaxMiB).toBe(512);
    expect(loadConfig({ env: {}, file: file('runner:\n  snapshotMaxMiB: 2048\n') }).runner.snapshotMaxMiB).toBe(2048);
    for (const bad of ['8', '8192', '1.5'])
      expect(
        configIssuesOf(() => loadConfig({ env: {}, file: file(`runner:\n  snapshotMaxMiB: ${bad}\n`) })).join('\n'),
      ).toMatch(new RegExp(`runner\\.snapshotMaxMiB: got ${bad.replace('.', '\\.')}`));
  });

  test('a missing or broken file is a clear error', () => {
    expect(() => loadConfig({ file: '/nonexistent/homeostat.yaml' })).toThrow(
      /cannot read config file \/nonexistent\/homeostat\.yaml/,
    );
    expect(() => loadConfig({ file: file('kafka: [') })).toThrow(/not valid YAML/);
  });
});
