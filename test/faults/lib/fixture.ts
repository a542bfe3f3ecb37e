/**
 * The frame every fault test file shares: a broker instance of its own, started before the
 * tests and removed after them, a scratch directory for configs and logs, and lists of what
 * the tests started (child processes, in-process runners, anything else to stop) so that a
 * failing test cannot leave a processor running against the next file's broker.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInstance, stopInstance, type BrokerInstance, type InstanceOptions } from '../../helpers/instance';
import { randomName } from '../../helpers/kafka';
import { stopChild } from './cli';
import type { InProcess } from './runner';

export interface FaultBroker {
  /** The instance's name (for restartInstance and friends). */
  readonly name: string;
  /** The running instance; only valid inside tests (it starts in beforeAll). */
  readonly inst: BrokerInstance;
  readonly dir: string;
  /** Killed with SIGKILL after the tests. */
  readonly children: ChildProcess[];
  /** Stopped after the tests. */
  readonly running: InProcess[];
  /** Anything else to stop after the tests, before the children and runners. */
  readonly cleanups: (() => Promise<unknown>)[];
}

export function useFaultBroker(prefix: string, options: InstanceOptions = {}): FaultBroker {
  const name = randomName(prefix);
  let inst: BrokerInstance | undefined;
  const fx: FaultBroker = {
    name,
    get inst(): BrokerInstance {
      if (!inst) throw new Error(`broker instance ${name} is not started (use it inside a test)`);
      return inst;
    },
    dir: mkdtempSync(join(tmpdir(), 'homeostat-faults-')),
    children: [],
    running: [],
    cleanups: [],
  };
  beforeAll(async () => {
    inst = await startInstance(name, options);
  });
  afterAll(async () => {
    for (const c of fx.cleanups) await c().catch(() => undefined);
    for (const c of fx.children) await stopChild(c, 'SIGKILL');
    for (const r of fx.running) await r.runner.stop().catch(() => undefined);
    await stopInstance(name);
  });
  return fx;
}
