import fc from 'fast-check';
import { HEADER_SIZE, frame, frameHeader, unframe } from '../../../src/codec';
import { HomeostatError, InputError } from '../../../src/errors';

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('Confluent framing', () => {
  it('unframe(frame(id, body)) gives back id and body', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7fffffff }), fc.uint8Array({ maxLength: 64 }), (id, bytes) => {
        const body = Buffer.from(bytes);
        const framed = frame(id, body);
        expect(framed.length).toBe(HEADER_SIZE + body.length);
        expect(framed.subarray(0, HEADER_SIZE).equals(frameHeader(id))).toBe(true);
        const out = unframe(framed);
        expect(out.schemaId).toBe(id);
        expect(out.body.equals(body)).toBe(true);
      }),
    );
  });

  it('writes the id big-endian after a zero magic byte', () => {
    expect([...frame(0x01020304, Buffer.from([9]))]).toEqual([0, 1, 2, 3, 4, 9]);
  });

  it('rejects a wrong magic byte, naming it', () => {
    expect(() => unframe(Buffer.from([1, 0, 0, 0, 1, 2]))).toThrow(InputError);
    expect(caught(() => unframe(Buffer.from([0x7b, 0, 0, 0, 1])))).toMatchObject({
      code: 'BAD_MAGIC_BYTE',
      message: expect.stringContaining('0x7b'),
    });
  });

  it.each([[[]], [[0]], [[0, 0, 0, 1]]])('rejects %j as TRUNCATED', (bytes) => {
    expect(caught(() => unframe(Buffer.from(bytes)))).toMatchObject({ code: 'TRUNCATED' });
  });

  it.each([-1, 1.5, 2 ** 31, NaN])('refuses schema id %p', (id) => {
    expect(() => frame(id, Buffer.alloc(0))).toThrow(HomeostatError);
    expect(caught(() => frame(id, Buffer.alloc(0)))).toMatchObject({ code: 'USAGE', field: 'schemaId' });
  });
});
