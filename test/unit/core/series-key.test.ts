import fc from 'fast-check';
import { escapeKeyPart, scopeKey, seriesKey } from '../../../src/core';

describe('series keys', () => {
  it('follow the documented format with sorted tag keys', () => {
    expect(seriesKey('w-1', 'query.latency_ms', { tenant: 'a', service: 'db' }, ['service', 'tenant'])).toBe(
      'w-1|query.latency_ms|service=db,tenant=a',
    );
    expect(scopeKey('tenant', 'tenant.bytes_in', { tenant: 'a' }, ['tenant'])).toBe('tenant|tenant.bytes_in|tenant=a');
    expect(scopeKey('cluster', 'tenant.bytes_in', {}, [])).toBe('cluster|tenant.bytes_in|');
  });

  it('never give two different series the same key, whatever characters they use', () => {
    const part = fc.string({ unit: fc.constantFrom('a', '|', ',', '=', '%', '2', 'C'), maxLength: 6 });
    fc.assert(
      fc.property(
        fc.tuple(part, part, part, part),
        fc.tuple(part, part, part, part),
        ([s1, m1, a1, b1], [s2, m2, a2, b2]) => {
          const k1 = seriesKey(s1, m1, { a: a1, b: b1 }, ['a', 'b']);
          const k2 = seriesKey(s2, m2, { a: a2, b: b2 }, ['a', 'b']);
          expect(k1 === k2).toBe(s1 === s2 && m1 === m2 && a1 === a2 && b1 === b2);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('leaves ordinary names untouched and percent-encodes the separators', () => {
    expect(escapeKeyPart('tenant-42.eu')).toBe('tenant-42.eu');
    expect(escapeKeyPart('a|b,c=d%')).toBe('a%7Cb%2Cc%3Dd%25');
  });
});
