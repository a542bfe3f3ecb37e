#!/usr/bin/env node
'use strict';
/*
 * Readiness probes for scripts/services.sh (plain CommonJS: it runs before any build).
 *
 *   node probe.js http <url> [timeoutMs]      GET <url>/subjects answers 200 with a JSON array
 *   node probe.js kafka <brokers> [timeoutMs] metadata answers AND the group coordinator is ready
 *
 * Exit 0 when ready, 1 when not ready within the timeout, 2 when kafkajs is missing
 * (npm ci not run yet): the caller then falls back to the port check alone.
 *
 * Why the coordinator: a broker answers metadata seconds before __consumer_offsets exists;
 * a kafkajs consumer started in that gap fails with GROUP_COORDINATOR_NOT_AVAILABLE.
 * FindCoordinator makes the broker create that topic, and kafkajs retries until it is led.
 * The same holds for transactions and __transaction_state: a transactional producer's first
 * InitProducerId answers COORDINATOR_LOAD_IN_PROGRESS for a while, so the probe makes one.
 */

const [, , kind, target, timeoutArg] = process.argv;
const timeoutMs = Number(timeoutArg || 60000);
const deadline = Date.now() + timeoutMs;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function httpReady(base) {
  const url = `${base.replace(/\/+$/, '')}/subjects`;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      const body = await res.text();
      if (res.ok && Array.isArray(JSON.parse(body))) return;
      last = `HTTP ${res.status}: ${body.slice(0, 200)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(250);
  }
  throw new Error(`schema registry at ${url} not ready within ${timeoutMs} ms (last: ${last})`);
}

async function kafkaReady(brokerList) {
  let kafkajs;
  try {
    kafkajs = require('kafkajs');
  } catch {
    console.error('[probe] kafkajs is not installed (run npm ci); skipping the metadata check');
    process.exit(2);
  }
  const brokers = brokerList.split(',').map((b) => b.trim()).filter(Boolean);
  const kafka = new kafkajs.Kafka({
    clientId: 'homeostat-services-probe',
    brokers,
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 2000,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 1000 },
  });
  let last = 'no answer';
  while (Date.now() < deadline) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.listTopics();
      const { groups } = await admin.describeGroups(['homeostat-services-probe']);
      if (groups.length !== 1) throw new Error('describeGroups returned no group');
      const producer = kafka.producer({ transactionalId: 'homeostat-services-probe', maxInFlightRequests: 1 });
      await producer.connect();
      await producer.disconnect();
      return;
    } catch (err) {
      last = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await sleep(500);
  }
  throw new Error(`kafka at ${brokers.join(',')} not ready within ${timeoutMs} ms (last: ${last})`);
}

async function main() {
  if (kind === 'http' && target) return httpReady(target);
  if (kind === 'kafka' && target) return kafkaReady(target);
  console.error('usage: probe.js http <registry-url> [timeoutMs] | kafka <brokers> [timeoutMs]');
  process.exit(64);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`[probe] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
