import { ConfigError } from '../../../src/errors';
import { checkExecutorOptions, createExecutor, resolveNames, type ExecutorOptions } from '../../../src/executor';
import { kafkaSchema } from '../../../src/config/kafka-schema';
import { KEYRING } from './fixtures';

const valid: ExecutorOptions = {
  name: 'qt',
  kafka: kafkaSchema.parse({}),
  topics: { actions: 'homeostat.actions', actionResults: 'homeostat.action-results' },
  types: ['query_timeout.set', 'query_timeout.revert'],
  keyring: KEYRING,
  maxClockSkewMs: 5_000,
  apply: () => Promise.resolve(),
  revert: () => Promise.resolve(),
};

function issues(o: Partial<ExecutorOptions>): string[] {
  try {
    checkExecutorOptions({ ...valid, ...o });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
}

describe('executor options', () => {
  it('derive the group, transactional id and state topic from the name unless given', () => {
    expect(resolveNames({ name: 'qt' })).toEqual({
      groupId: 'homeostat-executor-qt',
      transactionalId: 'homeostat-executor-qt.tx',
      stateTopic: 'homeostat.executor.qt.state',
    });
    expect(resolveNames({ name: 'qt', groupId: 'g', stateTopic: 's' })).toEqual({
      groupId: 'g',
      transactionalId: 'g.tx',
      stateTopic: 's',
    });
  });

  it('accept a complete configuration', () => {
    expect(issues({})).toEqual([]);
    expect(() => createExecutor(valid)).not.toThrow();
  });

  it('name every problem with the option, the value and a fix', () => {
    const found = issues({
      name: 'bad name',
      types: ['query_timeout.sett' as never],
      keyring: {},
      maxClockSkewMs: -1,
      bounds: { timeoutMs: [10, 1] },
      applyTimeoutMs: 0,
      resultsFormat: 'avro',
    });
    expect(found).toHaveLength(8);
    expect(found.join('\n')).toMatch(/executor name "bad name"/);
    expect(found.join('\n')).toMatch(/"query_timeout.sett" is not a command type/);
    expect(found.join('\n')).toMatch(/keyring is empty/);
    expect(found.join('\n')).toMatch(/maxClockSkewMs is -1/);
    expect(found.join('\n')).toMatch(/bounds.timeoutMs is \[10, 1\]/);
    expect(found.join('\n')).toMatch(/applyTimeoutMs is 0/);
    expect(found.join('\n')).toMatch(/resultsFormat is avro but no registry/);
    expect(found.join('\n')).toMatch(/stateTopic "homeostat.executor.bad name.state" is not a valid topic name/);
    expect(issues({ types: [] })[0]).toMatch(/types is empty/);
  });

  it('refuse to start twice', async () => {
    const e = createExecutor(valid);
    await e.stop();
    await expect(e.start()).rejects.toThrow(/start\(\) called in state STOPPED/);
  });
});
