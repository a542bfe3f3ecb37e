import fc from 'fast-check';
import { Registry } from 'prom-client';
import { ConfigError, HomeostatError } from '../../../src/errors';
import {
  accountingGap,
  accountingHolds,
  accountingSnapshot,
  createMetrics,
  type HomeostatMetrics,
} from '../../../src/ops/metrics';

/** The value of one sample line, e.g. `homeostat_x{topic="t"}`, in exposition text. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('createMetrics', () => {
  it('renders counters with their labels after increments', async () => {
    const m = createMetrics();
    m.recordsConsumed.inc({ topic: 'homeostat.telemetry' }, 3);
    m.recordsConsumed.inc({ topic: 'other' });
    m.recordsDeadLettered.inc({ reason: 'INVALID_JSON' }, 2);
    m.decisions.inc({ policy: 'adaptive-timeout', mode: 'shadow', kind: 'act' });
    m.guardrailBlocks.inc({ policy: 'herd-control', guardrail: 'cooldown' });
    m.commands.inc({ policy: 'watermark-quota', type: 'quota.set', mode: 'enforce' }, 4);
    m.executorResults.inc({ executor: 'ref', status: 'applied' });
    m.transactions.inc({ result: 'committed' });
    m.consumerLag.set({ topic: 'homeostat.telemetry', partition: 2 }, 17);
    m.leasesActive.set({ policy: 'watermark-quota' }, 5);
    m.watermarkMs.set(1_700_000_000_000);
    m.recordsAggregated.inc(7);

    const text = await m.render();
    expect(sample(text, 'homeostat_records_consumed_total{topic="homeostat.telemetry"}')).toBe(3);
    expect(sample(text, 'homeostat_records_consumed_total{topic="other"}')).toBe(1);
    expect(sample(text, 'homeostat_records_dead_lettered_total{reason="INVALID_JSON"}')).toBe(2);
    expect(sample(text, 'homeostat_decisions_total{policy="adaptive-timeout",mode="shadow",kind="act"}')).toBe(1);
    expect(sample(text, 'homeostat_guardrail_blocks_total{policy="herd-control",guardrail="cooldown"}')).toBe(1);
    expect(sample(text, 'homeostat_commands_total{policy="watermark-quota",type="quota.set",mode="enforce"}')).toBe(4);
    expect(sample(text, 'homeostat_executor_results_total{executor="ref",status="applied"}')).toBe(1);
    expect(sample(text, 'homeostat_transactions_total{result="committed"}')).toBe(1);
    expect(sample(text, 'homeostat_consumer_lag{topic="homeostat.telemetry",partition="2"}')).toBe(17);
    expect(sample(text, 'homeostat_leases_active{policy="watermark-quota"}')).toBe(5);
    expect(sample(text, 'homeostat_watermark_ms')).toBe(1_700_000_000_000);
    expect(sample(text, 'homeostat_records_aggregated_total')).toBe(7);
    expect(text).toContain('# TYPE homeostat_command_latency_seconds histogram');
  });

  it('puts command latencies in buckets from 1 ms to 10 s', async () => {
    const m = createMetrics();
    m.commandLatencySeconds.observe(0.002);
    m.commandLatencySeconds.observe(7);
    m.commandLatencySeconds.observe(60);
    const text = await m.render();
    expect(sample(text, 'homeostat_command_latency_seconds_bucket{le="0.001"}')).toBe(0);
    expect(sample(text, 'homeostat_command_latency_seconds_bucket{le="0.0025"}')).toBe(1);
    expect(sample(text, 'homeostat_command_latency_seconds_bucket{le="5"}')).toBe(1);
    expect(sample(text, 'homeostat_command_latency_seconds_bucket{le="10"}')).toBe(2);
    expect(sample(text, 'homeostat_command_latency_seconds_bucket{le="+Inf"}')).toBe(3);
    expect(sample(text, 'homeostat_command_latency_seconds_count')).toBe(3);
  });

  it('gives each instance its own registry so two sets never collide', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.recordsLate.inc(2);
    b.recordsLate.inc(5);
    expect(a.registry).not.toBe(b.registry);
    expect(sample(await a.render(), 'homeostat_records_late_total')).toBe(2);
    expect(sample(await b.render(), 'homeostat_records_late_total')).toBe(5);
  });

  it('refuses a second set in a shared registry unless the prefix differs', () => {
    const registry = new Registry();
    createMetrics({ registry });
    let caught: unknown;
    try {
      createMetrics({ registry });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(HomeostatError);
    expect((caught as HomeostatError).code).toBe('INVALID_STATE');
    expect((caught as HomeostatError).message).toContain('homeostat_consumer_lag');
    expect(() => createMetrics({ registry, prefix: 'second_' })).not.toThrow();
  });

  it('applies a custom prefix to every metric', async () => {
    const m = createMetrics({ prefix: 'hs_' });
    const names = (await m.registry.getMetricsAsJSON()).map((x) => x.name);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(name.startsWith('hs_')).toBe(true);
  });

  it('rejects a prefix Prometheus cannot parse, naming the key', () => {
    expect(() => createMetrics({ prefix: '9bad-' })).toThrow(ConfigError);
    expect(() => createMetrics({ prefix: '9bad-' })).toThrow(/metrics\.prefix/);
  });

  it('adds prefixed process metrics only when asked', async () => {
    const without = await createMetrics().render();
    expect(without).not.toContain('process_cpu');
    const withDefaults = await createMetrics({ defaultMetrics: true }).render();
    expect(withDefaults).toContain('homeostat_process_cpu_user_seconds_total');
  });

  it('exposes the registry content type for the scrape response', () => {
    expect(createMetrics().contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});

describe('accounting', () => {
  type Fate = { kind: 'aggregated' } | { kind: 'late' } | { kind: 'dlq'; reason: string } | { kind: 'lost' };
  const fate: fc.Arbitrary<Fate> = fc.oneof(
    fc.constant<Fate>({ kind: 'aggregated' }),
    fc.constant<Fate>({ kind: 'late' }),
    fc.constantFrom('INVALID_JSON', 'AVRO_DECODE', 'TRUNCATED').map<Fate>((reason) => ({ kind: 'dlq', reason })),
    fc.constant<Fate>({ kind: 'lost' }),
  );

  function route(m: HomeostatMetrics, topic: string, f: Fate): void {
    m.recordsConsumed.inc({ topic });
    if (f.kind === 'aggregated') m.recordsAggregated.inc();
    else if (f.kind === 'late') m.recordsLate.inc();
    else if (f.kind === 'dlq') m.recordsDeadLettered.inc({ reason: f.reason });
  }

  it('holds exactly when no consumed record is lost, summing over labels', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('t1', 't2'), fate), { maxLength: 60 }),
        fc.nat(20),
        async (records, restored) => {
          const m = createMetrics();
          for (const [topic, f] of records) route(m, topic, f);
          m.recordsRestored.inc(restored);
          const snap = await accountingSnapshot(m);
          const lost = records.filter(([, f]) => f.kind === 'lost').length;
          expect(snap.consumed).toBe(records.length);
          expect(snap.restored).toBe(restored);
          expect(accountingGap(snap)).toBe(lost);
          expect(accountingHolds(snap)).toBe(lost === 0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('detects double counting as a negative gap', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(1000), fc.nat(1000), fc.integer({ min: 1, max: 50 }), (a, l, d, extra) => {
        const s = { consumed: a + l + d, aggregated: a + extra, late: l, deadLettered: d };
        expect(accountingHolds(s)).toBe(false);
        expect(accountingGap(s)).toBe(-extra);
        expect(accountingHolds({ ...s, aggregated: a })).toBe(true);
      }),
    );
  });
});
