/** Progress on stderr: a bar redrawn in place on a terminal, plain periodic lines otherwise. */
import { createProgress, formatBytes, formatCount } from '../../../src/replay/progress';

function fakeStream(isTTY: boolean): {
  stream: NodeJS.WritableStream & { isTTY: boolean; columns: number };
  text: () => string;
} {
  let text = '';
  const stream = {
    isTTY,
    columns: 100,
    write: (s: string) => ((text += s), true),
  } as unknown as NodeJS.WritableStream & { isTTY: boolean; columns: number };
  return { stream, text: () => text };
}

describe('createProgress', () => {
  it('redraws a bar with bytes, records and records/s on a terminal, at most every 100 ms', () => {
    let now = 0;
    const { stream, text } = fakeStream(true);
    const p = createProgress({ label: 'import', stream, now: () => now });
    now = 50;
    p.update({ bytesRead: 10, totalBytes: 100, records: 5 });
    expect(text()).toBe(''); // too soon
    now = 1000;
    p.update({ bytesRead: 500_000, totalBytes: 1_000_000, records: 20_000, note: '3 malformed' });
    expect(text()).toMatch(
      /^\rimport \[#{12}\.{12}\] {2}50% {2}500\.0 KB \/ 1\.00 MB {2}20\.0k records {2}20\.0k rec\/s {2}3 malformed/,
    );
    expect(text()).not.toContain('\n');
    p.done();
    expect(text().endsWith('\r')).toBe(true);
  });

  it('writes plain lines every 5 s when not a terminal', () => {
    let now = 0;
    const { stream, text } = fakeStream(false);
    const p = createProgress({ label: 'replay', stream, now: () => now });
    for (now = 1000; now <= 12_000; now += 1000) p.update({ records: now * 100 });
    expect(
      text()
        .split('\n')
        .filter((l) => l !== ''),
    ).toEqual(['replay: 500.0k records  100.0k rec/s', 'replay: 1.00M records  100.0k rec/s']);
    p.done();
    expect(text()).not.toContain('\r');
  });

  it('formats sizes and counts', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_234_567)).toBe('1.23 MB');
    expect(formatCount(1234)).toBe('1234');
    expect(formatCount(2_500_000)).toBe('2.50M');
  });
});
