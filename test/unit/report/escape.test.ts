/** Escaping for HTML text/attributes, inline JSON and colours. */
import fc from 'fast-check';
import { escapeHtml, jsonForScript, safeColor } from '../../../src/report/escape';

describe('escapeHtml', () => {
  it('escapes the five HTML metacharacters', () => {
    expect(escapeHtml(`<script>alert("x" & 'y')</script>`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;',
    );
  });

  it('never lets a tag, quote or raw ampersand through (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = escapeHtml(s);
        expect(out).not.toMatch(/[<>"']/);
        expect(out).not.toMatch(/&(?!(amp|lt|gt|quot|#39);)/);
      }),
    );
  });
});

describe('jsonForScript', () => {
  it('cannot close the script element, and parses back to the same value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (v, s) => {
        const value = { v, s: `${s}</script><!--` };
        const out = jsonForScript(value);
        expect(out).not.toMatch(/[<>]/);
        expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});

describe('safeColor', () => {
  it('keeps plain colours and rejects anything that could escape a style', () => {
    expect(['#0072B2', '#abc', 'rgb(1, 2, 3)', 'hsl(120 50% 50%)', 'teal'].map((c) => safeColor(c, 'F'))).toEqual([
      '#0072B2',
      '#abc',
      'rgb(1, 2, 3)',
      'hsl(120 50% 50%)',
      'teal',
    ]);
    expect(
      ['red;background:url(x)', 'url(http://x)', '"><script>', 'expression(alert(1))', '#12345g'].map((c) =>
        safeColor(c, 'F'),
      ),
    ).toEqual(['F', 'F', 'F', 'F', 'F']);
    expect(safeColor(undefined, 'F')).toBe('F');
  });
});
