/**
 * The executor of a demo run: the real executor SDK (createExecutor — signature, freshness,
 * allow-list and bounds checks, at-most-once apply with its Kafka ledger, results to the
 * action-results topic, its own lease table and lapse reverts), reading the run's actions
 * topic. Its apply and revert act on the simulated system through the scenario's actuator.
 *
 * The SDK runs on a simulated clock: commands carry event times (issuedAt, expiresAt) in
 * simulated time, and the lockstep driver sets the clock to the flush time before it lets
 * commands through, so freshness checks and lapses are judged exactly as the in-process
 * executor model judges them. Lapses are looked for when the driver asks (checkLeases at
 * each flush), not on a wall-clock timer.
 *
 * What the SDK does is also written down as the in-process model's timeline (ExecutorEvent:
 * set, tighten, relax, renew, revert, lapse), from which the report draws markers, lease
 * spans, flaps and lapses — so the two runs can be compared event by event.
 */
import { familyOf } from '../actions';
import { createExecutor, type Executor } from '../executor/sdk';
import type { ApplyFn, RevertFn } from '../executor/types';
import type { Keyring } from '../actions';
import type { CommandFamily, CommandParams, CommandType } from '../model/command';
import type { Logger } from '../ops/logger';
import type { KafkaConfig, RegistryConfig } from '../config/kafka-schema';
import { classifySet, type ExecutorEvent, type PreparedScenario } from '../sim';
import { describeParams } from '../sim/record';
import type { DemoNames } from './topics';

/** setInterval's largest delay (~24.8 days): the SDK's own lapse timer never fires during a run. */
const NEVER_MS = 2_147_483_647;

export interface SimClock {
  now(): number;
  set(t: number): void;
}

export function createSimClock(start: number): SimClock {
  let t = start;
  return { now: () => t, set: (next) => (t = next) };
}

export interface DemoExecutor {
  readonly sdk: Executor;
  /** What the SDK did to the simulated system, as the in-process model's timeline. */
  events(): readonly ExecutorEvent[];
  /** Commands the SDK has handled and committed a result for (applied, rejected, expired…), lapses excluded. */
  handled(): number;
  /** Reverts the leases that lapsed by the clock's time (the in-process model's tick). */
  lapse(): Promise<void>;
}

export interface DemoExecutorOptions {
  prepared: PreparedScenario;
  names: DemoNames;
  kafka: KafkaConfig;
  /** Set: Avro commands are decoded and results written as Avro; unset: JSON. */
  registry?: RegistryConfig;
  keyring: Keyring;
  clock: SimClock;
  logger: Logger;
}

export function createDemoExecutor(o: DemoExecutorOptions): DemoExecutor {
  const { actuator, executor: scope } = o.prepared;
  const held = new Map<string, CommandParams>();
  const events: ExecutorEvent[] = [];
  let lapseResults = 0;
  const keyOf = (target: string, family: CommandFamily): string => `${family}\u001f${target}`;

  const apply: ApplyFn = (cmd) => {
    const family = familyOf(cmd.type);
    const key = keyOf(cmd.target, family);
    const prev = held.get(key);
    const now = o.clock.now();
    const kind = classifySet(family, prev, cmd.params);
    held.set(key, cmd.params);
    actuator.apply(cmd.target, family, cmd.params, cmd.expiresAt, now);
    events.push({
      t: now,
      kind,
      target: cmd.target,
      family,
      commandId: cmd.id,
      policy: cmd.policy,
      params: cmd.params,
      expiresAt: cmd.expiresAt,
      reason: cmd.reason,
    });
    return Promise.resolve({
      detail: `${kind}: ${describeParams(family, cmd.params)} (simulated)`,
      previous: { setting: describeParams(family, prev ?? null) },
    });
  };

  const revert: RevertFn = (req) => {
    const key = keyOf(req.target, req.family);
    const prev = held.get(key);
    held.delete(key);
    if (req.cause === 'lease-lapsed') {
      // The in-process model reverts a lapsed lease at its expiry, not at the flush that notices it.
      const at = req.lease?.expiresAt ?? o.clock.now();
      actuator.revert(req.target, req.family, at);
      events.push({
        t: at,
        kind: 'lapse',
        target: req.target,
        family: req.family,
        commandId: null,
        policy: req.command.policy,
        params: null,
        expiresAt: null,
        reason: `lease ${req.command.id} lapsed without renewal`,
      });
    } else {
      const now = o.clock.now();
      if (prev !== undefined) actuator.revert(req.target, req.family, now);
      events.push({
        t: now,
        kind: 'revert',
        target: req.target,
        family: req.family,
        commandId: req.command.id,
        policy: req.command.policy,
        params: null,
        expiresAt: null,
        reason: req.command.reason,
      });
    }
    return Promise.resolve({
      detail: 'back to the default (simulated)',
      previous: { setting: describeParams(req.family, prev ?? null) },
    });
  };

  const types: CommandType[] = [`${scope.family}.set`, `${scope.family}.revert`];
  const sdk = createExecutor({
    name: `demo-${o.prepared.scenario}`,
    kafka: o.kafka,
    topics: { actions: o.names.topics.actions, actionResults: o.names.topics.actionResults },
    registry: o.registry,
    resultsFormat: o.registry ? 'avro' : 'json',
    groupId: o.names.executorGroup,
    transactionalId: o.names.executorTransactionalId,
    stateTopic: o.names.executorState,
    stateReplicationFactor: -1,
    // A fresh topic: read it from its first command.
    fromBeginning: true,
    leaseCheckIntervalMs: NEVER_MS,
    types,
    targets: [...scope.targets],
    bounds: scope.bounds,
    keyring: o.keyring,
    // The simulated clock is exact (issuedAt is a window end the flush has already passed): no skew to allow for.
    maxClockSkewMs: 0,
    apply,
    revert,
    clock: o.clock,
    logger: o.logger,
  });

  return {
    sdk,
    events: () => events,
    handled: () => {
      const c = sdk.counts();
      return c.applied + c.rejected + c.failed + c.reverted + c.expired + c.shadowed + c.duplicate - lapseResults;
    },
    async lapse() {
      lapseResults += (await sdk.checkLeases()).length;
    },
  };
}
