import fc from 'fast-check';
import { canonicalJson } from '../../../src/actions/canonical';
import { HomeostatError } from '../../../src/errors';

describe('canonicalJson', () => {
  it('sorts keys at every depth, omits undefined properties and prints numbers the shortest way', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: null, y: 'é' }], c: true }, u: undefined })).toBe(
      '{"a":{"c":true,"d":[3,{"y":"é","z":null}]},"b":1}',
    );
    expect(canonicalJson([0.1 + 0.2, 1e21, 5e-7, -0, 100])).toBe('[0.30000000000000004,1e+21,5e-7,0,100]');
    expect(canonicalJson('a"\n')).toBe('"a\\"\\n"');
  });

  it('refuses values JSON cannot spell', () => {
    expect(() => canonicalJson({ a: NaN })).toThrow(HomeostatError);
    expect(() => canonicalJson({ a: Infinity })).toThrow(/\$\.a is Infinity/);
    expect(() => canonicalJson([undefined])).toThrow(/use null/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/function/);
  });

  it('does not depend on key insertion order and round-trips through JSON.parse', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const text = canonicalJson(v);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        const reversed = (x: unknown): unknown =>
          Array.isArray(x)
            ? x.map(reversed)
            : x !== null && typeof x === 'object'
              ? Object.fromEntries(
                  Object.entries(x as Record<string, unknown>)
                    .reverse()
                    .map(([k, y]) => [k, reversed(y)]),
                )
              : x;
        expect(canonicalJson(reversed(v))).toBe(text);
      }),
    );
  });
});
