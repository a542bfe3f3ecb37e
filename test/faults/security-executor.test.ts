/**
 * Hostile commands on the actions topic: a forged signature (parameters changed after
 * signing, an attacker's key, no signature at all, a forged copy of a real command's id), a
 * replay of a command already applied, an old command replayed after its lease ran out, and
 * a genuine command for a target outside the executor's allow-list. None is applied, each is
 * reported on the results topic with its reason, and the genuine command is applied once.
 */
import { signCommand } from '../../src/actions';
import { createExecutor } from '../../src/executor';
import type { Command } from '../../src/model/command';
import { randomName, waitFor } from '../helpers/kafka';
import { testSigningKey } from '../helpers/keys';
import { KEY_ID, KEYRING } from './lib/cli';
import { commandMessage, signedCommand } from './lib/commands';
import { followResults } from './lib/executor';
import { createTopics, produceOrdered } from './lib/kafka';
import { reportFigures } from '../helpers/figures';
import { useFaultBroker } from './lib/fixture';

const fx = useFaultBroker('secexec');

test('forged, replayed and out-of-allow-list commands are rejected and reported; the genuine one is applied once', async () => {
  const actions = randomName('sec-actions');
  const results = randomName('sec-results');
  await createTopics(fx.inst, [
    { topic: actions, partitions: 1 },
    { topic: results, partitions: 1 },
  ]);
  const applied: string[] = [];
  const executor = createExecutor({
    name: randomName('qt'),
    kafka: fx.inst.kafkaConfig({ sessionTimeoutMs: 6000, heartbeatIntervalMs: 600 }),
    topics: { actions, actionResults: results },
    types: ['query_timeout.set', 'query_timeout.revert'],
    targets: ['worker-1', 'worker-2'],
    keyring: KEYRING,
    maxClockSkewMs: 5_000,
    fromBeginning: true,
    apply: (cmd) => {
      applied.push(cmd.id);
      return Promise.resolve({});
    },
    revert: () => Promise.resolve({}),
  });
  const followed = await followResults(fx.inst, results);
  await executor.start();
  try {
    const genuine = signedCommand({ target: 'worker-1' });
    const tampered: Command = { ...signedCommand({ target: 'worker-2' }), params: { ...genuine.params, timeoutMs: 1 } };
    const attacker = signedCommand({ target: 'worker-2', key: testSigningKey('attacker', 1) });
    const impostor = signedCommand({ target: 'worker-2', key: testSigningKey(KEY_ID, 1) });
    const unsigned: Command = { ...signedCommand({ target: 'worker-2' }), keyId: '', signature: '' };
    const forgedCopy: Command = { ...genuine, params: { ...genuine.params, timeoutMs: 10 } };
    const old = signedCommand({ target: 'worker-2', issuedAt: Date.now() - 2 * 3_600_000, leaseMs: 60_000 });
    const elsewhere = signedCommand({ target: 'db-primary' });
    // A forged copy re-signed with the right key id but the wrong key is still not authentic.
    const resigned = signCommand(
      { ...genuine, params: { ...genuine.params, timeoutMs: 20 } },
      testSigningKey(KEY_ID, 2),
    );

    await produceOrdered(
      fx.inst,
      actions,
      [genuine, tampered, attacker, impostor, unsigned, forgedCopy, resigned, old, elsewhere].map(commandMessage),
    );
    // The replay: the genuine command again, after it was applied.
    expect(await waitFor(() => applied.length === 1, 30_000)).toBe(true);
    await produceOrdered(fx.inst, actions, [commandMessage(genuine)]);
    expect(await waitFor(() => followed.results.length >= 10, 30_000)).toBe(true);

    const seen = followed.results.map((r) => ({ id: r.commandId, status: r.status, detail: r.detail }));
    expect(seen).toEqual([
      { id: genuine.id, status: 'applied', detail: '' },
      { id: tampered.id, status: 'rejected', detail: expect.stringMatching(/^signature: bad-signature/) },
      {
        id: attacker.id,
        status: 'rejected',
        detail: expect.stringMatching(/^signature: unknown-key: key id "attacker"/),
      },
      { id: impostor.id, status: 'rejected', detail: expect.stringMatching(/^signature: bad-signature/) },
      { id: unsigned.id, status: 'rejected', detail: expect.stringMatching(/^signature: unsigned/) },
      { id: genuine.id, status: 'rejected', detail: expect.stringMatching(/^signature: bad-signature/) },
      { id: genuine.id, status: 'rejected', detail: expect.stringMatching(/^signature: bad-signature/) },
      { id: old.id, status: 'expired', detail: expect.stringMatching(/^expired \d+ ms before it was handled/) },
      { id: elsewhere.id, status: 'rejected', detail: 'target "db-primary" is not in the executor\'s allow-list' },
      { id: genuine.id, status: 'duplicate', detail: `command ${genuine.id} was already handled` },
    ]);
    expect(applied).toEqual([genuine.id]);
    reportFigures('security-executor', {
      hostileCommands: seen.length - 1,
      applied: applied.length,
      rejected: seen.filter((r) => r.status === 'rejected').length,
      expired: seen.filter((r) => r.status === 'expired').length,
      duplicate: seen.filter((r) => r.status === 'duplicate').length,
    });
  } finally {
    await executor.stop();
    await followed.stop();
  }
});
