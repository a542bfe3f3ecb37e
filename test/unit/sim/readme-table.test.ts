/**
 * The README's efficacy table cannot drift from the code: the seed-1 figures it prints are
 * recomputed here (the runs are deterministic), the rest is rebuilt from the recorded study
 * (the newest run in bench/results/efficacy/), and the table in README.md must be exactly that.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readResult } from '../../../bench/lib/results';
import {
  README_VARIANTS,
  readmeTable,
  runCell,
  tableIn,
  type RecordedStudy,
  SEED_ONE_ARMS,
  type SeedOne,
  type SeedOneArm,
} from '../../../src/sim/study';

const ROOT = join(__dirname, '..', '..', '..');
const newest = readResult('efficacy');
if (newest === undefined)
  throw new Error('no recorded efficacy study in bench/results/efficacy/: run npm run bench:efficacy');
const recorded = newest as unknown as RecordedStudy;
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

function seedOne(): SeedOne {
  const out: Record<string, Record<SeedOneArm, number>> = {};
  for (const f of recorded.families) {
    const variant = README_VARIANTS[f.family];
    const at = (arm: 'off' | 'on' | `static:${string}` | `static+on:${string}`): number => {
      const v = runCell({ family: f.family as Parameters<typeof runCell>[0]['family'], variant, arm, seed: 1 }).figures[
        f.headline.key
      ];
      if (v === null) throw new Error(`${f.family}/${variant}/${arm}: ${f.headline.key} is null`);
      return v;
    };
    out[f.family] = {
      off: at('off'),
      static: at(`static:${f.choice.chosen}`),
      on: at('on'),
      staticOn: at(`static+on:${f.choice.chosen}`),
    };
  }
  return out;
}

test('README.md shows the table made from the recorded study and seed-1 runs of the current code', () => {
  const one = seedOne();
  expect(Object.keys(one).sort()).toEqual(Object.keys(README_VARIANTS).sort());
  // The recorded study was made by this code: its seed-1 cells are what the code computes now.
  for (const f of recorded.families) {
    const v = f.variants.find((x) => x.name === README_VARIANTS[f.family]);
    for (const arm of SEED_ONE_ARMS) expect(v?.allSeeds[arm][f.headline.key].seeds['1']).toBe(one[f.family][arm]);
  }
  expect(tableIn(readme)).toBe(readmeTable(recorded, one));
}, 120_000);
