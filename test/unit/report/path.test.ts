/** Compact relative path data decodes back to exactly the absolute points drawn. */
import fc from 'fast-check';
import { areaPathData, linePathData } from '../../../src/report/path';

/** Minimal decoder for the commands the writer emits (M, l, h, v, H, V, Z). */
function decode(d: string): Array<[number, number]> {
  const tokens = d.match(/[MlhvHVZ]|-?(?:\d+\.?\d*|\.\d+)/g) ?? [];
  const pts: Array<[number, number]> = [];
  let cmd = '';
  let x = 0;
  let y = 0;
  for (let i = 0; i < tokens.length;) {
    if (/[A-Za-z]/.test(tokens[i])) cmd = tokens[i++];
    const n = (): number => Number(tokens[i++]);
    if (cmd === 'M') [x, y] = [n(), n()];
    else if (cmd === 'l') [x, y] = [x + n(), y + n()];
    else if (cmd === 'h') x += n();
    else if (cmd === 'v') y += n();
    else if (cmd === 'H') x = n();
    else if (cmd === 'V') y = n();
    else if (cmd === 'Z') continue;
    pts.push([Math.round(x * 10) + 0, Math.round(y * 10) + 0]); // + 0: no -0 from float sums
  }
  return pts;
}

const pts = fc.array(fc.tuple(fc.integer({ min: -20000, max: 20000 }), fc.integer({ min: -20000, max: 20000 })), {
  minLength: 1,
  maxLength: 200,
});

describe('linePathData', () => {
  it('round-trips every distinct consecutive point exactly (property)', () => {
    fc.assert(
      fc.property(pts, (p) => {
        const expected = p.filter((q, i) => i === 0 || q[0] !== p[i - 1][0] || q[1] !== p[i - 1][1]);
        const got = decode(linePathData(p, false));
        // "h0" after a single point draws the dot and decodes to the same point again.
        expect(got.filter((q, i) => i === 0 || q[0] !== got[i - 1][0] || q[1] !== got[i - 1][1])).toEqual(expected);
      }),
    );
  });

  it('writes compact numbers', () => {
    expect(
      linePathData(
        [
          [1000, 500],
          [1005, 497],
          [1105, 497],
        ],
        false,
      ),
    ).toBe('M100 50l.5-.3 10 0');
    expect(linePathData([[0, 0]], false)).toBe('M0 0h0');
  });

  it('draws steps as horizontal-then-vertical moves', () => {
    expect(
      linePathData(
        [
          [0, 100],
          [50, 100],
          [80, 40],
        ],
        true,
      ),
    ).toBe('M0 10h5h3v-6');
    const got = decode(
      linePathData(
        [
          [0, 100],
          [50, 20],
          [80, 40],
        ],
        true,
      ),
    );
    expect(got).toEqual([
      [0, 100],
      [50, 100],
      [50, 20],
      [80, 20],
      [80, 40],
    ]);
  });
});

describe('areaPathData', () => {
  it('closes the area down to the base line', () => {
    const got = decode(
      areaPathData(
        [
          [0, 100],
          [50, 20],
          [80, 40],
        ],
        300,
      ),
    );
    expect(got[0]).toEqual([0, 300]);
    expect(got).toContainEqual([50, 20]);
    expect(got[got.length - 2]).toEqual([80, 300]);
    expect(got[got.length - 1]).toEqual([0, 300]);
  });
});
