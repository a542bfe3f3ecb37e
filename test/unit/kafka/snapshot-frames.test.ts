/**
 * The policies' snapshot as frames (src/kafka/snapshot-frames.ts): the same state back, key for
 * key and in the same order, without one string of the whole state on either side; and a forged
 * frame refused with a reason.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeFrames, encodeFrames, FRAMES_MAGIC, TABLE_MIN_KEYS } from '../../../src/kafka/snapshot-frames';
import { decodeSnapshot, encodeSnapshot } from '../../../src/kafka/policy-snapshot';
import { stateWithLeases } from '../../helpers/leases';

/** A per-target table as the policies keep one, with keys and entries a careless or hostile fleet gives. */
function targetTable(n: number): Record<string, unknown> {
  const t: Record<string, unknown> = {};
  for (let i = 0; i < n; i++) {
    t[`worker-${i}`] = {
      streak: { lastWindowEnd: 1_700_000_000_000 + i, over: i % 3, calm: 0 },
      learned: i % 10 === 0 ? { mean: i / 7, n: 3 } : null,
      reported: i % 5 === 0 ? [i, 'x'] : null,
      queue: i % 2 === 0 ? {} : 5,
    };
  }
  // Unlike shapes amid the rows, integer-like keys (objects put them first) and keys of Object.prototype.
  t['17'] = 3;
  t['2'] = { other: true };
  Object.defineProperty(t, '__proto__', { value: { streak: 1 }, enumerable: true, writable: true, configurable: true });
  t['constructor' as string] = { deep: { a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } } };
  t['line\nbreak'] = 'a "quoted"\nvalue';
  return t;
}

function richState() {
  const s = stateWithLeases(3000);
  return { ...s, engine: { ...s.engine, policies: { timeouts: { targets: targetTable(10_000) }, small: { a: 1 } } } };
}

const inflate = (b: Buffer): Buffer => gunzipSync(b);
const frames = (lines: unknown[]): Buffer =>
  Buffer.from(`${FRAMES_MAGIC}\n${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);

describe("the policies' snapshot as frames", () => {
  it('gives back the same state, key for key in the same order, __proto__ and constructor targets included', () => {
    const state = richState();
    const back = decodeFrames(inflate(encodeFrames(state).value));
    expect('value' in back).toBe(true);
    const value = (back as { value: unknown }).value;
    expect(JSON.stringify(value)).toBe(JSON.stringify(state));
    expect(value).toEqual(state);
    const targets = (value as typeof state).engine.policies.timeouts.targets;
    expect(Object.getPrototypeOf(targets)).toBe(Object.prototype);
    expect(Object.hasOwn(targets, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).streak).toBeUndefined();
  });

  it('writes the field names of a table once a line, not once an entry', () => {
    const state = richState();
    const enc = encodeFrames(state);
    expect(enc.inflatedBytes).toBe(inflate(enc.value).length);
    expect(enc.inflatedBytes).toBeLessThan(0.6 * Buffer.byteLength(JSON.stringify(state)));
  });

  it('is read through decodeSnapshot, as are snapshots written as one JSON document before frames', () => {
    const state = stateWithLeases(500);
    const framed = decodeSnapshot(encodeSnapshot(state).value);
    const plain = decodeSnapshot(Buffer.from(JSON.stringify(state)));
    const gzipped = decodeSnapshot(gzipSync(JSON.stringify(state)));
    for (const d of [framed, plain, gzipped]) expect(d).toEqual({ state });
  });

  it('refuses frames that inflate past the bound it is given', () => {
    const enc = encodeSnapshot(stateWithLeases(2000));
    expect(decodeSnapshot(enc.value, enc.inflatedBytes - 1)).toMatchObject({
      error: expect.stringMatching(/does not inflate within/) as unknown,
    });
    expect(decodeSnapshot(enc.value, enc.inflatedBytes)).toMatchObject({ state: expect.anything() as unknown });
  });

  it.each([
    ['no magic line', Buffer.from('{"tables":[],"state":{}}\n'), /no magic line/],
    ['no skeleton', Buffer.from(`${FRAMES_MAGIC}\n`), /no skeleton/],
    ['a skeleton without tables', frames([{ state: {} }]), /no tables or state/],
    ['a table path outside the state', frames([{ tables: [['a', 'b']], state: { a: {} } }]), /is not in the state/],
    ['a table path to a filled object', frames([{ tables: [['a']], state: { a: { x: 1 } } }]), /not an empty object/],
    ['a table path through an array', frames([{ tables: [['a', '0']], state: { a: [{}] } }]), /is not in the state/],
    ['a row of no table', frames([{ tables: [['a']], state: { a: {} } }, [1, 0, ['k', 1]]]), /no such table/],
    ['a forged shape', frames([{ tables: [['a']], state: { a: {} } }, [0, { x: 2 }, ['k', 1]]]), /not a shape/],
    ['an empty shape', frames([{ tables: [['a']], state: { a: {} } }, [0, {}, ['k']]]), /not a shape/],
    ['rows cut short', frames([{ tables: [['a']], state: { a: {} } }, [0, { x: 0, y: 0 }, ['k', 1]]]), /2 leaves/],
    ['a key that is not a string', frames([{ tables: [['a']], state: { a: {} } }, [0, 0, [7, 1]]]), /not a string/],
    ['a key given twice', frames([{ tables: [['a']], state: { a: {} } }, [0, 0, ['k', 1, 'k', 2]]]), /appears twice/],
    [
      'a line cut off',
      Buffer.concat([frames([{ tables: [['a']], state: { a: {} } }]), Buffer.from('[0,0,["k"')]),
      /JSON/,
    ],
  ])('refuses %s with a reason', (_what, bytes, reason) => {
    const r = decodeFrames(bytes);
    expect(r).toMatchObject({ error: expect.stringMatching(reason) as unknown });
    expect((r as { error: string }).error).toMatch(/^framed snapshot: /);
  });

  it('a forged __proto__ row is an own key, never the prototype of the table', () => {
    const r = decodeFrames(frames([{ tables: [['a']], state: { a: {} } }, [0, { polluted: 0 }, ['__proto__', true]]]));
    const a = (r as { value: { a: Record<string, unknown> } }).value.a;
    expect(Object.getPrototypeOf(a)).toBe(Object.prototype);
    expect(Object.hasOwn(a, '__proto__')).toBe(true);
    expect(a.polluted).toBeUndefined();
  });

  it(`leaves a table of fewer than ${TABLE_MIN_KEYS} keys in the skeleton`, () => {
    const state = {
      engine: { small: Object.fromEntries([...Array(TABLE_MIN_KEYS - 1).keys()].map((i) => [`k${i}`, i])) },
    };
    const text = inflate(encodeFrames(state).value).toString();
    expect(text.split('\n').filter(Boolean)).toHaveLength(2);
    expect(decodeFrames(Buffer.from(text))).toEqual({ value: state });
  });
});
