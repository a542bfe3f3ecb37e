import { ConfigError } from '../../../src/errors';
import { createSignalIndex } from '../../../src/verify/probes';
import { createVerifier, parseVerifierConfig } from '../../../src/verify';
import { cmd, drive, end, sig } from './fixtures';

const config = parseVerifierConfig();
const probe = (family: keyof typeof config.families, name: string) => {
  const p = config.families[family].probes.find((x) => x.signal === name);
  if (p === undefined) throw new Error(`no probe ${name}`);
  return p;
};

describe('key signals per family', () => {
  it('query_timeout: the worst series of the worker', () => {
    const idx = createSignalIndex([
      sig({ metric: 'queue.depth', value: 30, i: 0, source: 'w1', tags: { tenant: 'a' } }),
      sig({ metric: 'queue.depth', value: 70, i: 0, source: 'w1', tags: { tenant: 'b' } }),
      sig({ metric: 'queue.depth', value: 99, i: 0, source: 'w2' }),
      sig({ metric: 'queue.depth', value: 500, i: 0, source: 'w1', partial: true }),
    ]);
    expect(idx.value(probe('query_timeout', 'queue.depth:mean'), 'w1')).toBe(70);
    expect(idx.value(probe('query_timeout', 'queue.depth:mean'), 'w3')).toBeNull();
  });

  it('retry_policy: retries / requests of the service, by tag or else by source', () => {
    const share = probe('retry_policy', 'retry.share');
    const idx = createSignalIndex([
      sig({ metric: 'requests', value: 100, i: 0, source: 'c1', tags: { service: 'api' } }),
      sig({ metric: 'requests', value: 300, i: 0, source: 'c2', tags: { service: 'api' } }),
      sig({ metric: 'retries', value: 40, i: 0, source: 'c1', tags: { service: 'api' } }),
      sig({ metric: 'requests', value: 50, i: 0, source: 'db' }),
      sig({ metric: 'retries', value: 5, i: 0, source: 'db' }),
      sig({ metric: 'requests', value: 10, i: 0, source: 'quiet' }),
      sig({ metric: 'retries', value: 3, i: 0, source: 'noreq' }),
    ]);
    expect(idx.value(share, 'api')).toBeCloseTo(40 / 400, 12);
    expect(idx.value(share, 'db')).toBeCloseTo(0.1, 12);
    // Requests without a retries signal: no retries. Retries without requests: no ratio.
    expect(idx.value(share, 'quiet')).toBe(0);
    expect(idx.value(share, 'noreq')).toBeNull();
  });

  it('quota: cluster utilisation from the tenant aggregates and the capacity gauge; the tenant rate', () => {
    const idx = createSignalIndex([
      sig({ metric: 'tenant.bytes_in', value: 600, i: 0, scope: 'tenant', tags: { tenant: 'a' } }),
      sig({ metric: 'tenant.bytes_in', value: 300, i: 0, scope: 'tenant', tags: { tenant: 'b' } }),
      // Per-source series of the same metric are not added on top of the tenant aggregates.
      sig({ metric: 'tenant.bytes_in', value: 600, i: 0, source: 'broker1', tags: { tenant: 'a' } }),
      sig({ metric: 'cluster.capacity_bytes', value: 1000, i: 0, source: 'broker1' }),
    ]);
    expect(idx.value(probe('quota', 'cluster.utilization'), 'a')).toBeCloseTo(0.9, 12);
    expect(idx.value(probe('quota', 'cluster.utilization'), 'anyone')).toBeCloseTo(0.9, 12);
    expect(idx.value(probe('quota', 'tenant.bytes_in:ratePerSec'), 'b')).toBe(300);
  });

  it('a constant denominator (a configured capacity)', () => {
    const c = parseVerifierConfig({
      families: {
        quota: {
          probes: [
            {
              signal: 'cluster.utilization',
              metric: 'tenant.bytes_in',
              stat: 'ratePerSec',
              combine: 'total',
              scope: 'tenant',
              per: 2000,
              match: 'global',
            },
          ],
        },
      },
    });
    const idx = createSignalIndex([
      sig({ metric: 'tenant.bytes_in', value: 500, i: 0, scope: 'tenant', tags: { tenant: 'a' } }),
    ]);
    expect(idx.value(c.families.quota.probes[0], 'a')).toBe(0.25);
    expect(createSignalIndex([]).value(c.families.quota.probes[0], 'a')).toBeNull();
  });
});

describe('verifying retry policies and quotas end to end', () => {
  it('a retry storm that calms down after a retry_policy.set is improved', () => {
    const v = createVerifier();
    const share = [0.5, 0.4, 0.3, 0.1, 0.05, 0.05];
    const r = drive(
      v,
      6,
      (i) => [
        sig({ metric: 'requests', value: 100, i, source: 'c1', tags: { service: 'api' } }),
        sig({ metric: 'retries', value: 100 * share[i], i, source: 'c1', tags: { service: 'api' } }),
      ],
      (i) =>
        i === 0
          ? [
              cmd({
                target: 'api',
                i,
                type: 'retry_policy.set',
                policy: 'herd',
                evidence: [{ signal: 'retry.share', value: 0.5, threshold: 0.2, comparison: '>' }],
              }),
            ]
          : [],
    );
    expect(r.outcomes).toHaveLength(1);
    expect(r.outcomes[0]).toMatchObject({
      verdict: 'improved',
      timeToRecoveryMs: end(3) - end(0),
      type: 'retry_policy.set',
    });
    expect(r.outcomes[0].signals).toEqual([
      { signal: 'retry.share', before: 0.5, after: 0.05 },
      { signal: 'requests:ratePerSec', before: 100, after: 100 },
    ]);
  });

  it('a quota that does not bring the cluster under its watermark, with load rising, is worsened', () => {
    const v = createVerifier();
    const r = drive(
      v,
      6,
      (i) => [
        sig({ metric: 'tenant.bytes_in', value: 800 + 60 * i, i, scope: 'tenant', tags: { tenant: 'a' } }),
        sig({ metric: 'tenant.bytes_in', value: 100, i, scope: 'tenant', tags: { tenant: 'b' } }),
        sig({ metric: 'cluster.capacity_bytes', value: 1000, i, source: 'broker1' }),
      ],
      (i) =>
        i === 0
          ? [
              cmd({
                target: 'a',
                i,
                type: 'quota.set',
                policy: 'quotas',
                evidence: [
                  { signal: 'cluster.utilization', value: 0.9, threshold: 0.85, comparison: '>' },
                  { signal: 'tenant.bytes_in:ratePerSec', value: 800, threshold: 500, comparison: '>' },
                ],
              }),
            ]
          : [],
    );
    // Utilisation 0.9 → 1.2 (+33%): judged on the cluster, the first probe the evidence names.
    expect(r.outcomes[0].verdict).toBe('worsened');
    expect(r.outcomes[0].signals[0]).toEqual({ signal: 'cluster.utilization', before: 0.9, after: 1.2 });
    expect(r.reverts.map((p) => p.type)).toEqual(['quota.revert']);
  });
});

describe('config', () => {
  it('fills every default', () => {
    const c = parseVerifierConfig();
    expect(c.windows).toBe(5);
    expect(c.threshold).toBe(0.2);
    expect(c.families.query_timeout.probes.map((p) => p.signal)).toEqual([
      'queue.depth:mean',
      'query.latency_ms:p99',
      'inflight:mean',
    ]);
    expect(c.families.quota.probes[0].per).toEqual({
      metric: 'cluster.capacity_bytes',
      stat: 'mean',
      combine: 'worst',
      scope: null,
    });
    expect(parseVerifierConfig(c)).toEqual(c);
  });

  it('names the key, the value and the fix', () => {
    const bad = (input: unknown) => {
      try {
        parseVerifierConfig(input);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).issues.join('\n');
      }
      throw new Error('accepted');
    };
    expect(bad({ threshold: 1.5 })).toMatch(/^verification\.threshold: got 1\.5: must be below 1/);
    expect(
      bad({ families: { quota: { probes: [{ signal: 's', metric: 'm', stat: 'mean', match: 'tag' }] } } }),
    ).toMatch(/verification\.families\.quota\.probes\.0\.tag: got nothing: match 'tag' needs the tag/);
    expect(bad({ windos: 3 })).toMatch(/unknown key\(s\) 'windos'/);
    expect(
      bad({
        families: {
          quota: {
            probes: [
              { signal: 's', metric: 'm', stat: 'mean' },
              { signal: 's', metric: 'n', stat: 'mean' },
            ],
          },
        },
      }),
    ).toMatch(/'s' appears twice/);
    expect(() => createVerifier({ windows: 0 })).toThrow(ConfigError);
  });
});
