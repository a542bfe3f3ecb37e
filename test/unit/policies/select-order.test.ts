import fc from 'fast-check';
import { groupByTarget, targetOrder } from '../../../src/policies/select';
import { sig } from './fixtures';

const bySource = (s: { scope: string; source: string }) => (s.scope === 'series' && s.source !== '' ? s.source : null);

describe('groupByTarget with a remembered target order', () => {
  it('gives what it gives without one, window after window, as targets come and go', () => {
    const windowOf = fc.array(fc.constantFrom('w-1', 'w-10', 'w-2', 'w-1|x', 'a', 'w-100', 'B', ''), { maxLength: 10 });
    fc.assert(
      fc.property(fc.array(windowOf, { minLength: 1, maxLength: 8 }), (windows) => {
        const order = targetOrder();
        windows.forEach((sources, i) => {
          const signals = sources.map((source) => sig({ metric: 'queue.depth', value: 1, i, source }));
          const plain = groupByTarget(signals, { metric: 'queue.depth' }, bySource);
          const remembered = groupByTarget(signals, { metric: 'queue.depth' }, bySource, order);
          expect([...remembered]).toEqual([...plain]);
          expect([...remembered.keys()]).toEqual([...new Set(sources.filter((s) => s !== ''))].sort());
        });
      }),
    );
  });
});
